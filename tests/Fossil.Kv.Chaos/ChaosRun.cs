using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization;
using Fossil.Kv.Chaos.History;
using Fossil.Kv.Testing;

namespace Fossil.Kv.Chaos;

/// <summary>The checker's verdict on a run, the faults injected, what each subscriber went through, and where the run's files are.</summary>
public sealed record ChaosResult(CheckReport Report, IReadOnlyList<string> Faults, IReadOnlyList<string> Subscribers, TimeSpan Elapsed, string WorkDirectory);

/// <summary>
/// One fault-injection run: a 3-member etcd cluster on loopback, <see cref="ChaosOptions.Nodes"/> node
/// processes with short segments, concurrent appenders, readers and subscribers, faults on a schedule;
/// then everything is healed, the appenders drain (retrying unknown appends with the same ids), the
/// final history is read from every node, and <see cref="HistoryChecker"/> judges it.
/// </summary>
public static class ChaosRun
{
    private static readonly TimeSpan Drain = TimeSpan.FromSeconds(20);
    private static readonly JsonSerializerOptions HistoryJson = new() { Converters = { new JsonStringEnumConverter() } };

    public static async Task<ChaosResult> RunAsync(ChaosOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var work = options.WorkDirectory ?? Directory.CreateTempSubdirectory("fossil-chaos-").FullName;
        Directory.CreateDirectory(work);
        var progress = options.Progress ?? TextWriter.Null;
        var clock = Stopwatch.StartNew();
        using var handler = new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(2), MaxConnectionsPerServer = 256 };
        using var http = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        var api = new NodeApi(http);

        var cluster = await EtcdCluster.StartAsync(3).ConfigureAwait(false);
        await using var _ = cluster.ConfigureAwait(false);
        var endpoints = string.Join(',', cluster.ClientUrls.Select(u => u.AbsoluteUri.TrimEnd('/')));
        string[] settings =
        [
            $"--Fossil:Etcd:Endpoints={endpoints}",
            $"--Fossil:Segment:Duration={options.SegmentDuration}",
            "--Logging:LogLevel:Default=Warning",
        ];
        var nodes = Enumerable.Range(0, options.Nodes).Select(i => new NodeHost($"node{i}", Path.Combine(work, $"node{i}"), settings)).ToList();
        try
        {
            // One at a time: the first seeds /meta/config, the others follow it.
            foreach (var node in nodes) await node.StartAsync(http, TimeSpan.FromSeconds(60), cancellationToken).ConfigureAwait(false);
            progress.WriteLine($"{clock.Elapsed.TotalSeconds,6:0.0}s etcd {endpoints}; nodes {string.Join(", ", nodes)}; work in {work}");

            // One stream name with a '/' so escaping is exercised too.
            var streams = Enumerable.Range(0, options.Streams).Select(i => i == 0 ? "chaos/nested" : $"chaos-{i}").ToList();
            var workload = new Workload(api, nodes, streams, options);
            using var stopAppends = new CancellationTokenSource();
            using var stopReads = new CancellationTokenSource();
            using var stopFaults = new CancellationTokenSource();
            var drainBy = DateTime.MaxValue;
            var appenders = Enumerable.Range(0, options.Appenders)
                .Select(i => Task.Run(() => workload.AppendLoopAsync(i, () => drainBy, stopAppends.Token), CancellationToken.None)).ToList();
            var readers = Enumerable.Range(0, options.Readers)
                .Select(i => Task.Run(() => workload.ReadLoopAsync(i, stopReads.Token), CancellationToken.None)).ToList();
            readers.Add(Task.Run(() => workload.SubscribeLoopAsync("all-from-start", null, NodeApi.StartPosition, stopReads.Token), CancellationToken.None));
            readers.Add(Task.Run(() => workload.SubscribeLoopAsync("all-live", null, null, stopReads.Token), CancellationToken.None));
            readers.Add(Task.Run(() => workload.SubscribeLoopAsync("stream-from-start", streams[0], "-1", stopReads.Token), CancellationToken.None));
            readers.Add(Task.Run(() => workload.SubscribeLoopAsync("stream-live", streams[1], null, stopReads.Token), CancellationToken.None));
            var faults = new FaultInjector(cluster, nodes, http, options, clock);
            var faulting = Task.Run(() => faults.RunAsync(stopFaults.Token), CancellationToken.None);
            using var stopWatching = new CancellationTokenSource();
            var watching = Task.Run(() => faults.WatchForCrashesAsync(stopWatching.Token), CancellationToken.None);

            var end = DateTime.UtcNow + options.Duration;
            while (DateTime.UtcNow < end)
            {
                var wait = end - DateTime.UtcNow;
                await Task.Delay(wait < TimeSpan.FromSeconds(10) ? wait : TimeSpan.FromSeconds(10), cancellationToken).ConfigureAwait(false);
                progress.WriteLine($"{clock.Elapsed.TotalSeconds,6:0.0}s {workload.AcknowledgedSoFar} appends acknowledged");
            }

            await stopFaults.CancelAsync().ConfigureAwait(false);
            await faulting.ConfigureAwait(false);
            await faults.HealAllAsync().ConfigureAwait(false);
            drainBy = DateTime.UtcNow + Drain;
            await stopAppends.CancelAsync().ConfigureAwait(false);
            await Task.WhenAll(appenders).ConfigureAwait(false);
            progress.WriteLine($"{clock.Elapsed.TotalSeconds,6:0.0}s faults healed, appends drained; reading the final history");

            var (final, finalReads, readFailures) = await ReadFinalAsync(api, nodes, streams, progress, cancellationToken).ConfigureAwait(false);
            await WaitForSubscribersAsync(workload, final, TimeSpan.FromSeconds(15)).ConfigureAwait(false);
            await stopReads.CancelAsync().ConfigureAwait(false);
            await Task.WhenAll(readers).ConfigureAwait(false);
            await stopWatching.CancelAsync().ConfigureAwait(false);
            await watching.ConfigureAwait(false);

            var history = new ChaosHistory(workload.Operations, [.. workload.Observations, .. finalReads], final);
            await WriteHistoryAsync(work, history, faults.Log).ConfigureAwait(false);
            var report = HistoryChecker.Check(history);
            // Not history rules, but failures all the same: a node must never die on its own, and must answer reads.
            foreach (var crash in faults.Crashes) report.Add("node-crash", crash);
            foreach (var failure in readFailures) report.Add("final-read", failure);
            var subscribers = workload.Subscribers
                .Select(s => $"{s.Name}: {s.Snapshot().Count} events over {s.Reconnects + 1} connections (resumed with Last-Event-ID)").ToList();
            return new ChaosResult(report, faults.Log, subscribers, clock.Elapsed, work);
        }
        finally
        {
            foreach (var node in nodes) await node.StopAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The reference history comes from the first node that answers; every other node's global log and
    /// streams must be the same, so they are recorded as complete reads. A node that cannot answer (it may be
    /// crashing and restarting) is tried a few times, then reported.
    /// </summary>
    private static async Task<(FinalHistory, List<Observation>, List<string>)> ReadFinalAsync(
        NodeApi api, IReadOnlyList<NodeHost> nodes, IReadOnlyList<string> streams, TextWriter progress, CancellationToken cancellationToken)
    {
        FinalHistory? final = null;
        var reads = new List<Observation>();
        var failures = new List<string>();
        foreach (var node in nodes)
        {
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    var log = await api.ReadWholeLogAsync(node, cancellationToken).ConfigureAwait(false);
                    var byStream = new Dictionary<string, IReadOnlyList<ObservedEvent>>(StringComparer.Ordinal);
                    foreach (var stream in streams) byStream[stream] = await api.ReadWholeStreamAsync(node, stream, cancellationToken).ConfigureAwait(false);
                    if (final is null)
                    {
                        final = new FinalHistory(log, byStream);
                        break;
                    }
                    reads.Add(new Observation($"final read on {node.Name}", ObservationKind.GlobalRead, null, NodeApi.StartPosition, log, Complete: true));
                    foreach (var (stream, events) in byStream)
                        reads.Add(new Observation($"final read on {node.Name}", ObservationKind.StreamRead, stream, "-1", events, Complete: true));
                    break;
                }
                catch (Exception e) when (e is HttpRequestException or IOException or System.Text.Json.JsonException)
                {
                    progress.WriteLine($"final read on {node.Name} failed (attempt {attempt}): {e.Message}");
                    if (attempt == 5)
                    {
                        failures.Add($"{node.Name} could not serve the final history: {e.Message}");
                        break;
                    }
                    await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken).ConfigureAwait(false);
                }
            }
        }
        return (final ?? new FinalHistory([], new Dictionary<string, IReadOnlyList<ObservedEvent>>()), reads, failures);
    }

    /// <summary>Gives subscribers a moment to reach the end of the history, so their ranges cover the whole run.</summary>
    private static async Task WaitForSubscribersAsync(Workload workload, FinalHistory final, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            var behind = workload.Subscribers.Any(s =>
            {
                var expected = s.Stream is null ? final.Log : final.Streams.GetValueOrDefault(s.Stream) ?? [];
                return expected.Count > 0 && s.Last?.Id != expected[^1].Id;
            });
            if (!behind) return;
            await Task.Delay(100).ConfigureAwait(false);
        }
    }

    private static async Task WriteHistoryAsync(string work, ChaosHistory history, IReadOnlyList<string> faults)
    {
        var operations = new StreamWriter(Path.Combine(work, "operations.jsonl"));
        await using (operations.ConfigureAwait(false))
        {
            foreach (var op in history.Operations)
                await operations.WriteLineAsync(JsonSerializer.Serialize(op, HistoryJson)).ConfigureAwait(false);
        }
        await File.WriteAllLinesAsync(Path.Combine(work, "faults.log"), faults).ConfigureAwait(false);
        var log = new StreamWriter(Path.Combine(work, "final-log.jsonl"));
        await using (log.ConfigureAwait(false))
        {
            foreach (var e in history.Final.Log)
                await log.WriteLineAsync(JsonSerializer.Serialize(e, HistoryJson)).ConfigureAwait(false);
        }
    }
}
