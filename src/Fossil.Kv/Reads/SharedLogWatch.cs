using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Fossil.Kv.Etcd;

namespace Fossil.Kv.Reads;

/// <summary>
/// One etcd watch over the store's event keys, shared by every live subscription of a store (SSE clients,
/// the search indexer): etcd sends each write once and it is decoded once, however many subscribers there
/// are. Subscribers join at the revision their catch-up from storage ended; recent events are kept so a
/// subscriber that joins a little after the watch passed its revision still gets them. A subscriber that
/// cannot be served from here (its revision is older than what is kept) watches on its own, as before.
/// A subscriber that lets more than <see cref="EtcdClientOptions.MaxWatchBufferBytes"/> pile up, or the
/// watch failing, ends its feed with an <see cref="EtcdException"/>: it reads storage again and rejoins.
/// </summary>
internal sealed class SharedLogWatch(Func<long, CancellationToken, IAsyncEnumerable<(long Revision, RecordedEvent[] Events)>> openWatch, long maxQueuedBytes) : IDisposable
{
    /// <summary>How many recent events are kept for subscribers that join behind the watch (and at most <c>maxQueuedBytes</c> of them).</summary>
    private const int RecentEvents = 8192;

    private readonly object _gate = new();
    private readonly List<Subscriber> _subscribers = [];
    private readonly Queue<(long Revision, RecordedEvent[] Events, long Bytes)> _recent = new();
    private int _recentCount;
    private long _recentBytes;
    private long _recentFrom; // every event at or after this revision is in _recent or still to come from the watch
    private CancellationTokenSource? _running;

    /// <summary>Live events from <paramref name="fromRevision"/> on, or null when they are no longer kept here.</summary>
    public IAsyncEnumerable<RecordedEvent>? TryJoin(long fromRevision, CancellationToken cancellationToken)
    {
        Subscriber subscriber;
        lock (_gate)
        {
            if (_running is null)
            {
                var running = _running = new CancellationTokenSource();
                _recentFrom = fromRevision;
                // Off this thread and outside the gate: opening the watch must not run under the lock.
                _ = Task.Run(() => PumpAsync(fromRevision, running), CancellationToken.None);
            }
            else if (fromRevision < _recentFrom)
            {
                return null;
            }
            subscriber = new Subscriber(maxQueuedBytes);
            foreach (var (revision, events, _) in _recent)
            {
                if (revision < fromRevision) continue;
                foreach (var e in events)
                {
                    // More kept events than the subscriber may queue: it watches on its own instead.
                    if (e.Position.Revision >= fromRevision && !subscriber.Offer(e)) return null;
                }
            }
            _subscribers.Add(subscriber);
        }
        return ReadAsync(subscriber, cancellationToken);
    }

    private async IAsyncEnumerable<RecordedEvent> ReadAsync(Subscriber subscriber, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var e in subscriber.Events.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                subscriber.Taken(e);
                yield return e;
            }
        }
        finally
        {
            Leave(subscriber);
        }
    }

    private void Leave(Subscriber subscriber)
    {
        CancellationTokenSource? stopped;
        lock (_gate)
        {
            // A subscriber ended by an overflow was removed already; either way, once nobody listens the watch goes
            // rather than keep etcd sending to no one.
            _subscribers.Remove(subscriber);
            if (_subscribers.Count > 0 || _running is null) return;
            stopped = Stop(null);
        }
        stopped.Cancel();
    }

    private async Task PumpAsync(long fromRevision, CancellationTokenSource running)
    {
        Exception? ended = null;
        try
        {
            await foreach (var (revision, events) in openWatch(fromRevision, running.Token).ConfigureAwait(false))
            {
                lock (_gate)
                {
                    if (_running != running) break; // stopped while this response was on its way
                    if (events.Length == 0) continue;
                    var bytes = Subscriber.SizeOf(events);
                    _recent.Enqueue((revision, events, bytes));
                    _recentCount += events.Length;
                    _recentBytes += bytes;
                    while ((_recentCount > RecentEvents || _recentBytes > maxQueuedBytes) && _recent.Count > 1)
                    {
                        var (dropped, droppedEvents, droppedBytes) = _recent.Dequeue();
                        _recentCount -= droppedEvents.Length;
                        _recentBytes -= droppedBytes;
                        _recentFrom = dropped + 1;
                    }
                    for (var i = _subscribers.Count - 1; i >= 0; i--)
                    {
                        var subscriber = _subscribers[i];
                        foreach (var e in events)
                        {
                            if (subscriber.Offer(e)) continue;
                            subscriber.End(new EtcdWatchOverflowException(
                                $"The subscriber let more than {maxQueuedBytes} bytes of live events pile up; it reads them from storage instead.", e.Position.Revision));
                            _subscribers.RemoveAt(i);
                            break;
                        }
                    }
                }
            }
            ended = new EtcdUnavailableException("The shared watch of the store's events ended.", GrpcStatusCode.Unavailable, null);
        }
        catch (OperationCanceledException) when (running.IsCancellationRequested)
        {
            // Stopped: nobody listens any more, or the store is disposed.
        }
        catch (Exception e)
        {
            // Subscribers recover from etcd and I/O failures by reading storage; anything else is made one of those.
            ended = e is EtcdException or HttpRequestException or IOException ? e : new IOException("The shared watch of the store's events failed.", e);
        }
        lock (_gate)
        {
            if (_running == running) _ = Stop(ended); // the watch has ended already: nothing to cancel
        }
    }

    /// <summary>
    /// Ends every subscriber's feed (with <paramref name="error"/>, which sends them back to storage) and returns
    /// the running watch's token source for the caller to cancel once it has left the gate: cancelling runs the
    /// watch's callbacks, which must not run under the lock. Holds the gate. (The source is not disposed: it has
    /// no timer, and the pump may still be reading its token.)
    /// </summary>
    private CancellationTokenSource Stop(Exception? error)
    {
        var running = _running!;
        _running = null;
        _recent.Clear();
        _recentCount = 0;
        _recentBytes = 0;
        foreach (var subscriber in _subscribers) subscriber.End(error ?? new EtcdUnavailableException("The shared watch of the store's events stopped.", GrpcStatusCode.Unavailable, null));
        _subscribers.Clear();
        return running;
    }

    /// <summary>Stops the watch; subscribers still reading go back to storage (and find the store disposed).</summary>
    public void Dispose()
    {
        CancellationTokenSource? stopped = null;
        lock (_gate)
        {
            if (_running is not null) stopped = Stop(null);
        }
        stopped?.Cancel();
    }

    private sealed class Subscriber(long maxQueuedBytes)
    {
        private readonly Channel<RecordedEvent> _events = Channel.CreateUnbounded<RecordedEvent>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        private long _queuedBytes;

        public ChannelReader<RecordedEvent> Events => _events.Reader;

        /// <summary>Queues an event unless that would pass the byte budget.</summary>
        public bool Offer(RecordedEvent e)
        {
            var size = SizeOf(e);
            if (Interlocked.Add(ref _queuedBytes, size) > maxQueuedBytes)
            {
                Interlocked.Add(ref _queuedBytes, -size);
                return false;
            }
            return _events.Writer.TryWrite(e);
        }

        public void Taken(RecordedEvent e) => Interlocked.Add(ref _queuedBytes, -SizeOf(e));

        public void End(Exception error) => _events.Writer.TryComplete(error);

        /// <summary>What an event holds on to while queued: its payloads plus the object's own fields.</summary>
        public static long SizeOf(RecordedEvent e) => e.Data.Length + e.Metadata.Length + (e.Vector?.Length ?? 0) * sizeof(float) + 256;

        public static long SizeOf(RecordedEvent[] events)
        {
            long size = 0;
            foreach (var e in events) size += SizeOf(e);
            return size;
        }
    }
}
