using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Etcdserverpb;
using Fossil.Kv.Etcd.Transport;

namespace Fossil.Kv.Etcd.Watch;

/// <summary>
/// Multiplexes all watches of a client over one Watch stream and keeps them alive: on any stream
/// failure it reconnects (another member if this one failed) and re-creates every watch from its
/// next undelivered revision. Ids are assigned by the client (watch_id, etcd 3.4+), so a response is
/// matched to its watch whatever the order of creation.
/// </summary>
internal sealed class WatchManager : IAsyncDisposable
{
    private readonly EtcdClient _client;
    private readonly object _lock = new();
    private readonly Dictionary<long, Watcher> _watchers = [];
    private readonly CancellationTokenSource _shutdown = new();
    private TaskCompletionSource _wake = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private GrpcDuplexCall? _call;
    private int _generation;
    private long _lastId;
    private Task? _loop;

    public WatchManager(EtcdClient client) => _client = client;

    private sealed class Watcher(long id, WatchCreateRequest request)
    {
        public long Id { get; } = id;
        public WatchCreateRequest Request { get; } = request;
        public Channel<WatchResponse> Output { get; } = Channel.CreateUnbounded<WatchResponse>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });

        /// <summary>Bytes of event responses written to <see cref="Output"/> and not yet read.</summary>
        public long BufferedBytes;

        /// <summary>Lowest revision not yet delivered; 0 until known for a watch "from now".</summary>
        public long NextRevision { get; set; } = request.StartRevision;

        public int Generation { get; set; } = -1;
        public bool CreatedDelivered { get; set; }
        public WatchResponse? PendingFragments { get; set; }
    }

    public async IAsyncEnumerable<WatchResponse> WatchAsync(WatchCreateRequest request, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var watcher = Register(request.Clone());
        try
        {
            var reader = watcher.Output.Reader;
            while (await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                while (reader.TryRead(out var response))
                {
                    if (response.Events.Count > 0) Interlocked.Add(ref watcher.BufferedBytes, -response.CalculateSize());
                    yield return response;
                }
            }
        }
        finally
        {
            await UnregisterAsync(watcher).ConfigureAwait(false);
        }
    }

    private Watcher Register(WatchCreateRequest request)
    {
        Watcher watcher;
        GrpcDuplexCall? call;
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_shutdown.IsCancellationRequested, _client);
            watcher = new Watcher(++_lastId, request);
            _watchers.Add(watcher.Id, watcher);
            _loop ??= Task.Run(RunAsync);
            call = _call;
            if (call is not null) watcher.Generation = _generation;
            _wake.TrySetResult();
        }

        if (call is not null) _ = SendQuietlyAsync(call, CreateRequest(watcher));
        return watcher;
    }

    private async Task UnregisterAsync(Watcher watcher)
    {
        GrpcDuplexCall? call;
        lock (_lock)
        {
            if (!_watchers.Remove(watcher.Id)) return;
            call = watcher.Generation == _generation ? _call : null;
        }

        watcher.Output.Writer.TryComplete();
        if (call is not null)
        {
            await SendQuietlyAsync(call, new WatchRequest { CancelRequest = new WatchCancelRequest { WatchId = watcher.Id } }).ConfigureAwait(false);
        }
    }

    public async Task RequestProgressAsync(CancellationToken cancellationToken)
    {
        GrpcDuplexCall? call;
        lock (_lock) call = _call;
        if (call is null) return;
        try
        {
            await call.WriteAsync(new WatchRequest { ProgressRequest = new WatchProgressRequest() }, cancellationToken).ConfigureAwait(false);
        }
        catch (GrpcCallFailure failure)
        {
            throw EtcdClientMetrics.Failed(EtcdErrorTranslator.Translate(failure, CallKind.Idempotent, EtcdMethods.Watch, call.Endpoint.Address, null));
        }
    }

    private static async Task SendQuietlyAsync(GrpcDuplexCall call, WatchRequest request)
    {
        try
        {
            await call.WriteAsync(request, CancellationToken.None).ConfigureAwait(false);
        }
        catch (GrpcCallFailure)
        {
            // The read loop sees the broken stream and re-creates the watches.
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static WatchRequest CreateRequest(Watcher watcher)
    {
        var create = watcher.Request.Clone();
        create.WatchId = watcher.Id;
        create.StartRevision = watcher.NextRevision;
        return new WatchRequest { CreateRequest = create };
    }

    private async Task RunAsync()
    {
        var shutdown = _shutdown.Token;
        var failures = 0;
        while (!shutdown.IsCancellationRequested)
        {
            Task wake;
            lock (_lock)
            {
                if (_watchers.Count == 0 && _wake.Task.IsCompleted) _wake = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                wake = _watchers.Count == 0 ? _wake.Task : Task.CompletedTask;
            }

            try
            {
                await wake.WaitAsync(shutdown).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }

            var endpoint = _client.Endpoints.Current;
            GrpcDuplexCall? call = null;
            string? token = null;
            try
            {
                token = await _client.GetTokenAsync(endpoint, shutdown).ConfigureAwait(false);
                call = _client.Transport.OpenDuplex(endpoint, EtcdMethods.Watch, token, requireLeader: true);
                List<WatchRequest> creates = [];
                lock (_lock)
                {
                    _generation++;
                    _call = call;
                    foreach (var watcher in _watchers.Values)
                    {
                        watcher.Generation = _generation;
                        watcher.PendingFragments = null;
                        creates.Add(CreateRequest(watcher));
                    }
                }

                Log.WatchStreamOpened(_client.Logger, endpoint.Address, creates.Count);
                foreach (var create in creates) await call.WriteAsync(create, shutdown).ConfigureAwait(false);

                while (true)
                {
                    var response = await call.ReadAsync(WatchResponse.Parser, shutdown).ConfigureAwait(false)
                        ?? throw new GrpcCallFailure(GrpcStatusCode.Unavailable, "watch stream ended", requestSent: true);
                    failures = 0;
                    Dispatch(response);
                }
            }
            catch (OperationCanceledException) when (shutdown.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                Log.WatchStreamFailed(_client.Logger, endpoint.Address, e);
                if (e is GrpcCallFailure failure)
                    _client.OnFailure(failure, CallKind.Idempotent, EtcdMethods.Watch, endpoint, null, token, moveEndpoint: true);
                else if (e is EtcdException { EndpointFailure: true })
                    _client.Endpoints.MarkFailed(endpoint);
                failures++;
            }
            finally
            {
                lock (_lock)
                {
                    if (_call == call) _call = null;
                }

                if (call is not null) await call.DisposeAsync().ConfigureAwait(false);
            }

            try
            {
                await Task.Delay(Backoff(failures), shutdown).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    private TimeSpan Backoff(int failures)
    {
        var retry = _client.Options.Retry;
        var ms = Math.Min(retry.MaxDelay.TotalMilliseconds, retry.BaseDelay.TotalMilliseconds * Math.Pow(2, Math.Min(failures, 16)));
        return TimeSpan.FromMilliseconds(ms * (0.5 + (Random.Shared.NextDouble() / 2)));
    }

    private void Dispatch(WatchResponse response)
    {
        if (response.WatchId == -1 && !response.Created && !response.Canceled)
        {
            // Stream-wide progress (answer to a progress request): every watch gets it.
            lock (_lock)
            {
                foreach (var w in _watchers.Values) w.Output.Writer.TryWrite(response);
            }

            return;
        }

        Watcher? watcher;
        lock (_lock) _watchers.TryGetValue(response.WatchId, out watcher);
        if (watcher is null) return; // canceled by us, or a stale id

        if (response.Canceled)
        {
            OnCanceled(watcher, response);
            return;
        }

        if (response.Created)
        {
            if (watcher.NextRevision == 0) watcher.NextRevision = response.Header.Revision + 1;
            if (!watcher.CreatedDelivered)
            {
                watcher.CreatedDelivered = true;
                watcher.Output.Writer.TryWrite(response);
            }

            return;
        }

        if (response.Fragment)
        {
            if (watcher.PendingFragments is null) watcher.PendingFragments = response;
            else watcher.PendingFragments.Events.AddRange(response.Events);
            return;
        }

        if (watcher.PendingFragments is { } head)
        {
            head.Events.AddRange(response.Events);
            head.Fragment = false;
            head.Header = response.Header ?? head.Header;
            watcher.PendingFragments = null;
            response = head;
        }

        var events = response.Events;
        if (events.Count == 0)
        {
            watcher.Output.Writer.TryWrite(response); // progress notification
            return;
        }

        var next = watcher.NextRevision;
        var stale = 0;
        while (stale < events.Count && events[stale].Kv.ModRevision < next) stale++;
        if (stale > 0)
        {
            // etcd 3.4 can repeat events after restarts; a revision is delivered once.
            Log.WatchDuplicatesDropped(_client.Logger, watcher.Id, stale, next);
            if (stale == events.Count) return;
            var kept = events.Skip(stale).ToList();
            events.Clear();
            events.AddRange(kept);
        }

        // A response bigger than the whole allowance still goes to a reader that has read everything else,
        // so one large revision can never stop a watch for good.
        var size = response.CalculateSize();
        var buffered = Interlocked.Add(ref watcher.BufferedBytes, size);
        if (buffered > _client.Options.MaxWatchBufferBytes && buffered != size)
        {
            Overflow(watcher, next);
            return;
        }
        watcher.NextRevision = events[^1].Kv.ModRevision + 1;
        Debug.Assert(watcher.NextRevision > next);
        watcher.Output.Writer.TryWrite(response);
    }

    /// <summary>Ends a watch whose reader fell behind: it reads what it holds, then the error, and nothing after.</summary>
    private void Overflow(Watcher watcher, long nextRevision)
    {
        Log.WatchOverflowed(_client.Logger, watcher.Id, nextRevision);
        GrpcDuplexCall? call;
        lock (_lock) call = watcher.Generation == _generation ? _call : null;
        Complete(watcher, new EtcdWatchOverflowException(
            $"The watch's reader fell more than {_client.Options.MaxWatchBufferBytes} bytes behind; it ended before revision {nextRevision}: watch again from there.",
            nextRevision));
        if (call is not null) _ = SendQuietlyAsync(call, new WatchRequest { CancelRequest = new WatchCancelRequest { WatchId = watcher.Id } });
    }

    private void OnCanceled(Watcher watcher, WatchResponse response)
    {
        Log.WatchCanceled(_client.Logger, watcher.Id, response.CancelReason);
        if (response.CompactRevision != 0)
        {
            Complete(watcher, new EtcdCompactedException(
                $"Watch from revision {watcher.NextRevision} failed: history before revision {response.CompactRevision} has been compacted.",
                GrpcStatusCode.OutOfRange, EtcdErrorTranslator.Compacted, response.CompactRevision));
            return;
        }

        if (response.CancelReason.Contains("no leader", StringComparison.Ordinal))
        {
            // The member lost its leader: reconnect elsewhere and re-create all watches.
            throw new GrpcCallFailure(GrpcStatusCode.Unavailable, EtcdErrorTranslator.NoLeader, requestSent: true, fromServer: true);
        }

        Complete(watcher, EtcdErrorTranslator.FromStatus(GrpcStatusCode.Cancelled, response.CancelReason));
    }

    private void Complete(Watcher watcher, Exception error)
    {
        lock (_lock) _watchers.Remove(watcher.Id);
        watcher.Output.Writer.TryComplete(error);
    }

    public async ValueTask DisposeAsync()
    {
        Task? loop;
        List<Watcher> watchers;
        lock (_lock)
        {
            if (_shutdown.IsCancellationRequested) return;
            _shutdown.Cancel();
            loop = _loop;
            watchers = [.. _watchers.Values];
            _watchers.Clear();
        }

        foreach (var w in watchers) w.Output.Writer.TryComplete(new ObjectDisposedException(nameof(EtcdClient)));
        if (loop is not null) await loop.ConfigureAwait(false);
        _shutdown.Dispose();
    }
}
