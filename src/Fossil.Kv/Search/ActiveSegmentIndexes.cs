using System.Collections.Concurrent;
using Fossil.Kv.Lifecycle;
using Fossil.Kv.Segments;

namespace Fossil.Kv.Search;

/// <summary>
/// The in-memory search indexes of the segments this node has no files for, kept current by one follower: a
/// subscription to the global log (the store's own catch-up-then-watch machinery) that starts at the creation
/// of the oldest active segment and routes every event to its segment's index. A segment is indexed here only
/// if its whole history reaches the follower (created at or after the follower's start), so an index is never
/// partial; older sealed segments are served from their files. Started by the first query.
/// </summary>
internal sealed class ActiveSegmentIndexes(
    StoreContext context,
    SegmentCatalog catalog,
    LocalSegments local,
    Func<Position, CancellationToken, IAsyncEnumerable<RecordedEvent>> subscribe) : IAsyncDisposable
{
    private static readonly TimeSpan RestartDelay = TimeSpan.FromSeconds(1);

    /// <summary>How long a query waits for the follower to reach the segment's last batch before it gives up.</summary>
    private static readonly TimeSpan CatchUpTimeout = TimeSpan.FromSeconds(30);

    private readonly ConcurrentDictionary<SegmentId, ActiveSegmentIndex> _indexes = new();
    // Segments never indexed here: history older than the follower, or released once their files were in place.
    private readonly ConcurrentDictionary<SegmentId, bool> _untracked = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _starting = new(1, 1);
    private TaskCompletionSource _progress = NewProgress();
    private long _startRevision = long.MaxValue;
    private Task? _follower;

    /// <summary>Segments with an in-memory index now.</summary>
    public int Count => _indexes.Count;

    public async ValueTask EnsureStartedAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _follower) is not null) return;
        await _starting.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_follower is not null) return;
            var (segments, snapshot) = await catalog.ListSegmentsAsync(cancellationToken).ConfigureAwait(false);
            var start = segments.Where(s => s.Record.Status == SegmentStatus.Active).Select(s => s.CreateRevision).DefaultIfEmpty(snapshot).Min();
            Volatile.Write(ref _startRevision, start);
            // A segment's events all commit after the Txn that created its record, so none is at or before (start, 0).
            _follower = Task.Run(() => FollowAsync(new Position(start, 0), _stop.Token), CancellationToken.None);
        }
        finally
        {
            _starting.Release();
        }
    }

    /// <summary>Whether the follower sees all of the segment's events, so its in-memory index is complete.</summary>
    public bool Covers(SegmentView segment) =>
        segment.CreateRevision >= Volatile.Read(ref _startRevision) && !_untracked.ContainsKey(segment.Record.Id);

    /// <summary>
    /// The segment's index once it holds every event counted in <paramref name="segment"/>'s record (each batch
    /// rewrites the record in its own Txn), so a query sees every event committed before it began; null when
    /// the segment has no events.
    /// </summary>
    /// <exception cref="StoreUnavailableException">The follower did not get there in time (etcd slow or unreachable).</exception>
    public async Task<ActiveSegmentIndex?> WaitForAsync(SegmentView segment, CancellationToken cancellationToken)
    {
        var id = segment.Record.Id;
        var target = segment.Record.DocumentCount;
        if (target == 0) return null;
        var started = context.Clock.GetTimestamp();
        while (true)
        {
            var progress = Volatile.Read(ref _progress);
            if (_indexes.TryGetValue(id, out var index) && index.EventCount >= target) return index;
            if (_untracked.ContainsKey(id)) return null;
            var left = CatchUpTimeout - context.Clock.GetElapsedTime(started);
            if (left <= TimeSpan.Zero)
                throw new StoreUnavailableException($"The search index of segment {id} is still catching up with etcd; retry shortly.", TimeSpan.FromSeconds(1));
            try
            {
                await progress.Task.WaitAsync(left, context.Clock, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // Checked at the top of the loop.
            }
        }
    }

    /// <summary>Frees a segment's index for good: its files are in place, or it left the pool.</summary>
    public void Release(SegmentId segment)
    {
        _untracked[segment] = true;
        if (_indexes.TryRemove(segment, out var index)) index.Release();
    }

    /// <summary>
    /// Frees the indexes of segments that are materialized here or no longer Active or Sealed in a catalog read
    /// at <paramref name="snapshot"/>. A segment missing from a read older than its first event (a concurrent
    /// query's, or one taken before a rotation) is not gone, only too new for that read: it is kept.
    /// </summary>
    public void ReleaseSettled(IReadOnlyList<SegmentView> catalogSegments, long snapshot)
    {
        if (_indexes.IsEmpty) return;
        var byId = catalogSegments.ToDictionary(s => s.Record.Id);
        foreach (var (id, index) in _indexes)
        {
            if (!byId.TryGetValue(id, out var view))
            {
                if (snapshot >= index.FirstRevision) Release(id);
                continue;
            }
            if (view.Record.Status is not (SegmentStatus.Active or SegmentStatus.Sealed)
                || (view.Record.Status == SegmentStatus.Sealed && local.TryGet(id) is not null)) Release(id);
        }
    }

    private async Task FollowAsync(Position after, CancellationToken cancellationToken)
    {
        var last = after;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await foreach (var e in subscribe(last, cancellationToken).ConfigureAwait(false))
                {
                    await RouteAsync(e, cancellationToken).ConfigureAwait(false);
                    last = e.Position;
                    Interlocked.Exchange(ref _progress, NewProgress()).TrySetResult();
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // The subscription recovers from watch failures itself; this is a failed catch-up read. Go on from the last event.
                Log.SearchFollowerRestarting(context.Logger, last.ToString(), e);
                try
                {
                    await Task.Delay(RestartDelay, context.Clock, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private async Task RouteAsync(RecordedEvent e, CancellationToken cancellationToken)
    {
        var id = SegmentId.Parse(e.Segment);
        if (_indexes.TryGetValue(id, out var index))
        {
            index.Add(e);
            return;
        }
        if (_untracked.ContainsKey(id)) return;
        var found = await catalog.ReadSegmentsAsync([id], cancellationToken).ConfigureAwait(false);
        if (found.Count == 0 || found[0].CreateRevision < Volatile.Read(ref _startRevision) || found[0].Record.Status is SegmentStatus.Expiring or SegmentStatus.Dropped)
        {
            _untracked[id] = true;
            return;
        }
        // A new segment means a rotation: segments sealed by it may have their files by now.
        var (segments, snapshot) = await catalog.ListSegmentsAsync(cancellationToken).ConfigureAwait(false);
        ReleaseSettled(segments, snapshot);
        var settings = await catalog.GetSettingsAsync(cancellationToken).ConfigureAwait(false);
        index = _indexes.GetOrAdd(id, segment => new ActiveSegmentIndex(segment, settings.Metric, settings.Hnsw));
        index.Add(e);
    }

    private static TaskCompletionSource NewProgress() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_follower is not null)
        {
            try
            {
                await _follower.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Stopping is the point.
            }
        }
        foreach (var index in _indexes.Values) index.Dispose();
        _indexes.Clear();
        _stop.Dispose();
        _starting.Dispose();
    }
}
