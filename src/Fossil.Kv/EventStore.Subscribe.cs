using System.Runtime.CompilerServices;
using Etcdserverpb;
using Fossil.Kv.Etcd;
using Fossil.Kv.Keyspace;
using Fossil.Kv.Reads;
using Fossil.Kv.Records;
using Fossil.Kv.Segments;

namespace Fossil.Kv;

public sealed partial class EventStore
{
    private const int CatchUpPage = 512;
    private static readonly TimeSpan ResubscribeDelay = TimeSpan.FromMilliseconds(250);

    /// <summary>Catch-up reads a subscriber makes to reach the shared watch before it watches on its own.</summary>
    private const int MaxSharedWatchMisses = 2;

    /// <summary>
    /// Every event of the store after <paramref name="after"/> (all of them when null), in position order:
    /// history from storage first, then live events from an etcd watch that starts right after the last
    /// revision read, so there is no gap or duplicate at the switch. The subscription survives member loss,
    /// watch compaction and a consumer too slow for its watch's buffer (<see cref="EtcdClientOptions.MaxWatchBufferBytes"/>)
    /// by reading storage again from the last event it delivered. It ends only when
    /// <paramref name="cancellationToken"/> is cancelled (<see cref="OperationCanceledException"/>), when the store is
    /// disposed (<see cref="ObjectDisposedException"/>), or when a catch-up read from storage fails (the store's exceptions,
    /// such as <see cref="StoreUnavailableException"/>); subscribe again after the last event you handled.
    /// </summary>
    public async IAsyncEnumerable<RecordedEvent> SubscribeToAllAsync(
        Position? after = null, EventFilter? filter = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        filter ??= EventFilter.None;
        filter.EnsureValid();
        await EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        var last = after;
        var sharedWatchMisses = 0;
        while (true)
        {
            ObjectDisposedException.ThrowIf(IsDisposed, this);
            // Catch up until a page comes back short: then everything up to its snapshot revision was seen.
            long snapshot;
            while (true)
            {
                var from = last is { } l ? l.Successor : Position.Start;
                var (page, pageSnapshot) = await ReadLogPageAsync(from, CatchUpPage, filter, snapshot: 0, cancellationToken).ConfigureAwait(false);
                foreach (var e in page)
                {
                    yield return e;
                    last = e.Position;
                }
                if (page.Count < CatchUpPage)
                {
                    snapshot = pageSnapshot;
                    break;
                }
            }
            if (LiveLogAsync(snapshot + 1, sharedWatchMisses, cancellationToken) is not { } feed)
            {
                sharedWatchMisses++;
                continue;
            }
            sharedWatchMisses = 0;
            var live = feed.GetAsyncEnumerator(cancellationToken);
            await using (live.ConfigureAwait(false))
            {
                while (await MoveNextOrRecoverAsync(live, last, cancellationToken).ConfigureAwait(false))
                {
                    var e = live.Current;
                    if (last is { } seen && e.Position <= seen) continue;
                    last = e.Position;
                    if (filter.Matches(e)) yield return e;
                }
            }
        }
    }

    /// <summary>
    /// A stream's events after version <paramref name="afterVersion"/> (all when null): history, then live.
    /// The stream need not exist yet. Ends only when <paramref name="cancellationToken"/> is cancelled, when the store is
    /// disposed (<see cref="ObjectDisposedException"/>), or when a catch-up read from storage fails; as
    /// <see cref="SubscribeToAllAsync"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="afterVersion"/> is below -1 or over <see cref="StreamState.MaxVersion"/>.</exception>
    public async IAsyncEnumerable<RecordedEvent> SubscribeToStreamAsync(
        string streamName, long? afterVersion = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        StreamName.EnsureValid(streamName);
        if (afterVersion is { } given)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(given, -1, nameof(afterVersion));
            ArgumentOutOfRangeException.ThrowIfGreaterThan(given, StreamState.MaxVersion, nameof(afterVersion));
        }
        await EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        var last = afterVersion ?? -1;
        var sharedWatchMisses = 0;
        while (true)
        {
            ObjectDisposedException.ThrowIf(IsDisposed, this);
            var (head, snapshot) = await ReadStreamHeadAsync(streamName, cancellationToken).ConfigureAwait(false);
            if (head is not null)
            {
                await foreach (var e in ReadStreamAtAsync(streamName, head, Direction.Forwards, last + 1, long.MaxValue, snapshot, cancellationToken).ConfigureAwait(false))
                {
                    yield return e;
                    last = e.Version;
                }
            }
            if (LiveLogAsync(snapshot + 1, sharedWatchMisses, cancellationToken) is not { } feed)
            {
                sharedWatchMisses++;
                continue;
            }
            sharedWatchMisses = 0;
            var live = feed.GetAsyncEnumerator(cancellationToken);
            await using (live.ConfigureAwait(false))
            {
                while (await MoveNextOrRecoverAsync(live, null, cancellationToken).ConfigureAwait(false))
                {
                    var e = live.Current;
                    if (e.Stream != streamName || e.Version <= last) continue;
                    last = e.Version;
                    yield return e;
                }
            }
        }
    }

    /// <summary>
    /// Advances the live watch; false when it broke off (compaction, etcd unreachable) and the caller must
    /// catch up from storage again. Cancellation propagates.
    /// </summary>
    private async Task<bool> MoveNextOrRecoverAsync(IAsyncEnumerator<RecordedEvent> live, Position? last, CancellationToken cancellationToken)
    {
        try
        {
            return await live.MoveNextAsync().ConfigureAwait(false);
        }
        catch (OperationCanceledException e) when (IsDisposed && !cancellationToken.IsCancellationRequested)
        {
            // The store stopped a watch of the subscriber's own: say so, not that the caller cancelled.
            throw new ObjectDisposedException(nameof(EventStore), e);
        }
        catch (Exception e) when (e is EtcdException or HttpRequestException or IOException && !cancellationToken.IsCancellationRequested)
        {
            // The shared watch stops when the store is disposed: that ends the subscription rather than a recovery.
            ObjectDisposedException.ThrowIf(IsDisposed, this);
            Log.SubscriptionRecovering(_context.Logger, (last ?? Position.Start).ToString(), e);
            // Compaction or a reader that fell behind: storage has the events now, nothing to wait for.
            if (e is not (EtcdCompactedException or EtcdWatchOverflowException)) await Task.Delay(ResubscribeDelay, cancellationToken).ConfigureAwait(false);
            return false;
        }
    }

    /// <summary>
    /// Live events from <paramref name="startRevision"/> on, in position order, from the store's shared watch
    /// (<see cref="SharedLogWatch"/>). When the shared watch has moved past that revision (it started for a subscriber
    /// whose catch-up read ended later, or it no longer keeps that far back): null, for the caller to catch up from
    /// storage again, which ends at a later revision; after <see cref="MaxSharedWatchMisses"/> misses in a row, a
    /// watch of the caller's own.
    /// </summary>
    private IAsyncEnumerable<RecordedEvent>? LiveLogAsync(long startRevision, int misses, CancellationToken cancellationToken) =>
        _sharedWatch.TryJoin(startRevision, cancellationToken)
        ?? (misses < MaxSharedWatchMisses ? null : WatchLogAsync(startRevision, cancellationToken));

    /// <summary>Events of every batch committed from <paramref name="startRevision"/> on, in position order, from an etcd watch.</summary>
    private async IAsyncEnumerable<RecordedEvent> WatchLogAsync(long startRevision, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var watching = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _disposing.Token);
        await foreach (var (_, events) in WatchLogBatchesAsync(startRevision, watching.Token).ConfigureAwait(false))
            foreach (var e in events) yield return e;
    }

    /// <summary>
    /// The events of each etcd watch response from <paramref name="startRevision"/> on, in position order, with
    /// the highest revision the response covered.
    /// </summary>
    private async IAsyncEnumerable<(long Revision, RecordedEvent[] Events)> WatchLogBatchesAsync(
        long startRevision, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var keys = _context.Keys;
        var request = new WatchCreateRequest
        {
            Key = Ops.Bytes(keys.DataPrefix),
            RangeEnd = Ops.Bytes(KeyLayout.PrefixEnd(keys.DataPrefix)),
            StartRevision = startRevision,
        };
        request.Filters.Add(WatchCreateRequest.Types.FilterType.Nodelete);
        var batch = new List<RecordedEvent>();
        await foreach (var response in _context.Etcd.WatchAsync(request, cancellationToken).ConfigureAwait(false))
        {
            batch.Clear();
            long revision = 0;
            foreach (var change in response.Events)
            {
                revision = Math.Max(revision, change.Kv.ModRevision);
                if (change.Type != Mvccpb.Event.Types.EventType.Put || !keys.TryParseBatch(change.Kv.Key.Span, out var segment, out var position)) continue;
                foreach (var record in Batch.Parser.ParseFrom(change.Kv.Value).Events)
                    batch.Add(EventDecoding.ToRecordedEvent(record, segment, position, change.Kv.ModRevision));
            }
            if (batch.Count == 0) continue;
            // One transaction can write batches into several segments: order by position, not by key.
            batch.Sort((a, b) => a.Position.CompareTo(b.Position));
            yield return (revision, [.. batch]);
        }
    }
}
