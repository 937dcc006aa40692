using System.Collections.Concurrent;
using System.Globalization;
using Fossil.Kv.Chaos.History;

namespace Fossil.Kv.Chaos;

/// <summary>
/// The clients of a chaos run: appenders that contend on a shared set of streams and retry with the
/// same event ids, global-log readers that page and re-read streams, and SSE subscribers that reconnect
/// with <c>Last-Event-ID</c>. Everything they do and see is recorded for the checker.
/// </summary>
internal sealed class Workload(NodeApi api, IReadOnlyList<NodeHost> nodes, IReadOnlyList<string> streams, ChaosOptions options)
{
    private static readonly TimeSpan AppendTimeout = TimeSpan.FromSeconds(5);
    private readonly ConcurrentQueue<AppendOperation> _operations = new();
    private readonly ConcurrentQueue<Observation> _observations = new();
    private readonly ConcurrentDictionary<string, long> _believedVersions = new(StringComparer.Ordinal);
    private long _nextOperation;
    private int _acknowledged;

    public IReadOnlyList<AppendOperation> Operations => [.. _operations.OrderBy(o => o.Id)];

    public IReadOnlyList<Observation> Observations => [.. _observations];

    public int AcknowledgedSoFar => Volatile.Read(ref _acknowledged);

    private NodeHost PickNode(Random random)
    {
        var running = nodes.Where(n => n.IsRunning).ToList();
        return running.Count > 0 ? running[random.Next(running.Count)] : nodes[random.Next(nodes.Count)];
    }

    /// <summary>
    /// Appends until <paramref name="stop"/>; an append still unknown then is retried until
    /// <paramref name="drainBy"/>, as a client would, and recorded as unknown if it never gets an answer.
    /// </summary>
    public async Task AppendLoopAsync(int client, Func<DateTime> drainBy, CancellationToken stop)
    {
        var random = new Random(options.Seed * 1000 + client);
        var name = $"appender-{client}";
        while (!stop.IsCancellationRequested)
        {
            var op = NewOperation(random, name);
            var attempts = new List<AppendAttempt>();
            while (true)
            {
                var attempt = await api.AppendAsync(PickNode(random), op, attempts.Count + 1, AppendTimeout).ConfigureAwait(false);
                attempts.Add(attempt);
                if (attempt.Outcome == Outcome.Acknowledged)
                {
                    Interlocked.Increment(ref _acknowledged);
                    foreach (var result in attempt.Results!) Believe(result.Stream, result.LastVersion);
                    // A lost answer, simulated: the same request again. With exact expectations it must be a repeat
                    // with the same result; with `any` only while it is still the stream's last append.
                    if (random.NextDouble() < options.ResendProbability)
                        attempts.Add(await api.AppendAsync(PickNode(random), op, attempts.Count + 1, AppendTimeout, resend: true).ConfigureAwait(false));
                    break;
                }
                if (attempt.Outcome == Outcome.DefiniteError)
                {
                    if (attempt.Conflict is { Actual: { } actual } conflict)
                        Believe(conflict.Stream, actual == "no_stream" ? -1 : long.Parse(actual, CultureInfo.InvariantCulture));
                    break;
                }
                // Some clients give up (as if they crashed), leaving the outcome for the checker to resolve.
                if (DateTime.UtcNow > drainBy() || (attempt.Outcome == Outcome.Unknown && random.NextDouble() < options.AbandonProbability)) break;
                await Task.Delay(random.Next(50, 250), CancellationToken.None).ConfigureAwait(false);
            }
            _operations.Enqueue(op with { Attempts = attempts });
        }
    }

    private AppendOperation NewOperation(Random random, string client)
    {
        var id = Interlocked.Increment(ref _nextOperation);
        var multi = random.NextDouble() < options.MultiStreamProbability;
        var chosen = streams.OrderBy(_ => random.Next()).Take(multi ? random.Next(2, 4) : 1);
        var parts = chosen.Select(stream =>
        {
            var ids = Enumerable.Range(0, random.Next(1, 4)).Select(_ => Guid.NewGuid()).ToList();
            var expected = random.NextDouble() < options.AnyProbability ? "any"
                : _believedVersions.TryGetValue(stream, out var version) && version >= 0 ? version.ToString(CultureInfo.InvariantCulture)
                : "no_stream";
            return new StreamPart(stream, expected, ids);
        }).ToList();
        return new AppendOperation(id, client, multi, parts, []);
    }

    private void Believe(string stream, long version) => _believedVersions.AddOrUpdate(stream, version, (_, old) => Math.Max(old, version));

    /// <summary>Tails the global log page by page from the start, and now and then reads a whole stream.</summary>
    public async Task ReadLoopAsync(int reader, CancellationToken stop)
    {
        var random = new Random(options.Seed * 1000 + 500 + reader);
        var name = $"reader-{reader}";
        var seen = new List<ObservedEvent>();
        var from = NodeApi.StartPosition;
        var lastStreamRead = DateTime.UtcNow;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stop);
                timeout.CancelAfter(TimeSpan.FromSeconds(10));
                var (events, next) = await api.ReadAllAsync(PickNode(random), from, 500, timeout.Token).ConfigureAwait(false);
                seen.AddRange(events);
                from = next;
                if (DateTime.UtcNow - lastStreamRead > TimeSpan.FromSeconds(2))
                {
                    lastStreamRead = DateTime.UtcNow;
                    var stream = streams[random.Next(streams.Count)];
                    var whole = await api.ReadWholeStreamAsync(PickNode(random), stream, timeout.Token).ConfigureAwait(false);
                    _observations.Enqueue(new Observation($"{name} read", ObservationKind.StreamRead, stream, "-1", whole));
                }
                if (events.Count == 0) await Task.Delay(200, stop).ConfigureAwait(false);
            }
            catch (Exception e) when (e is HttpRequestException or OperationCanceledException or IOException or System.Text.Json.JsonException)
            {
                if (!stop.IsCancellationRequested) await Task.Delay(100, CancellationToken.None).ConfigureAwait(false);
            }
        }
        _observations.Enqueue(new Observation(name, ObservationKind.GlobalRead, null, NodeApi.StartPosition, seen));
    }

    /// <summary>
    /// One SSE subscriber: the global log (<paramref name="stream"/> null) or one stream, from
    /// <paramref name="after"/> (null: live). It reconnects to any node with <c>Last-Event-ID</c> when a
    /// connection breaks, and also on purpose every few seconds.
    /// </summary>
    public async Task SubscribeLoopAsync(string name, string? stream, string? after, CancellationToken stop)
    {
        var random = new Random(options.Seed * 1000 + 700 + name.GetHashCode(StringComparison.Ordinal) % 100);
        var subscriber = new Subscriber(name, stream, after);
        Subscribers.Enqueue(subscriber);
        var path = stream is null ? "/all/subscribe" : NodeApi.StreamPath(stream, "subscribe");
        while (!stop.IsCancellationRequested)
        {
            using var connection = CancellationTokenSource.CreateLinkedTokenSource(stop);
            connection.CancelAfter(TimeSpan.FromSeconds(random.Next(4, 12)));
            try
            {
                var query = subscriber.LastId is null && after is not null ? $"{path}?after={after}" : path;
                await api.SubscribeAsync(PickNode(random), query, subscriber.LastId, TimeSpan.FromSeconds(20), subscriber.Add, connection.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is HttpRequestException or OperationCanceledException or IOException or System.Text.Json.JsonException)
            {
                subscriber.Reconnects++;
                if (!stop.IsCancellationRequested && e is not OperationCanceledException) await Task.Delay(100, CancellationToken.None).ConfigureAwait(false);
            }
        }
        _observations.Enqueue(new Observation(name, stream is null ? ObservationKind.GlobalSubscription : ObservationKind.StreamSubscription, stream, after, subscriber.Snapshot()));
    }

    public ConcurrentQueue<Subscriber> Subscribers { get; } = new();

    /// <summary>What one subscriber has seen so far, and the SSE id it resumes from.</summary>
    internal sealed class Subscriber(string name, string? stream, string? after)
    {
        private readonly List<ObservedEvent> _events = [];

        public string Name { get; } = name;

        public string? Stream { get; } = stream;

        public string? After { get; } = after;

        public string? LastId { get; private set; }

        public int Reconnects { get; set; }

        public void Add(string id, ObservedEvent e)
        {
            lock (_events)
            {
                _events.Add(e);
                LastId = id;
            }
        }

        public ObservedEvent? Last
        {
            get { lock (_events) return _events.Count > 0 ? _events[^1] : null; }
        }

        public List<ObservedEvent> Snapshot()
        {
            lock (_events) return [.. _events];
        }
    }
}
