using System.Runtime.CompilerServices;
using Fossil.Kv.Etcd;
using Fossil.Kv.Reads;
using Fossil.Kv.Segments;

namespace Fossil.Kv;

public sealed partial class EventStore
{
    /// <summary>
    /// Reads the global log from <paramref name="from"/> (inclusive) in position order: every event of
    /// the store in commit order, across segments and partitions, optionally filtered. The read is
    /// consistent: it sees the store as of one etcd revision, so no event can later appear before a
    /// position it has passed.
    /// </summary>
    public IAsyncEnumerable<RecordedEvent> ReadAllAsync(
        Position from,
        long maxCount = long.MaxValue,
        EventFilter? filter = null,
        CancellationToken cancellationToken = default) =>
        CallTimer.Timed(ReadAllCoreAsync(from, maxCount, filter, cancellationToken), StoreMetrics.ReadSeconds, StoreMetrics.ReadKindAll, cancellationToken);

    private async IAsyncEnumerable<RecordedEvent> ReadAllCoreAsync(Position from, long maxCount, EventFilter? filter, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (maxCount <= 0) yield break;
        filter?.EnsureValid();
        await EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        // Page by page at the first page's revision: memory stays bounded by a page however long the log is.
        var snapshot = 0L;
        var left = maxCount;
        while (left > 0)
        {
            var want = Math.Min(left, ReadAllPageSize);
            var (events, pageSnapshot) = await ReadLogPageAsync(from, want, filter ?? EventFilter.None, snapshot, cancellationToken).ConfigureAwait(false);
            snapshot = pageSnapshot;
            foreach (var e in events) yield return e;
            if (events.Count < want) yield break; // a short page is the end of the log (as of the snapshot)
            left -= events.Count;
            from = events[^1].Position.Successor;
        }
    }

    private const int ReadAllPageSize = 1000;

    /// <summary>
    /// One page of the global log, for a caller that pages by position (the HTTP API's <c>next</c>): up to
    /// <paramref name="maxCount"/> events from <paramref name="from"/> (inclusive), and where to continue. A
    /// full page continues just after its last event; a short one has read to the end of the log as of its
    /// etcd revision, so it continues after that revision (<see cref="Position.EndOfRevision"/>, which no event
    /// holds: a reader that caught up may subscribe <em>after</em> it without missing the next event), and a
    /// filter that matched nothing moves on too.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxCount"/> is not positive.</exception>
    public Task<GlobalLogPage> ReadAllPageAsync(Position from, int maxCount, EventFilter? filter = null, CancellationToken cancellationToken = default) =>
        CallTimer.Timed(CallTimer.Start(), ReadAllPageCoreAsync(from, maxCount, filter, cancellationToken), StoreMetrics.ReadSeconds, StoreMetrics.ReadKindAll, cancellationToken);

    private async Task<GlobalLogPage> ReadAllPageCoreAsync(Position from, int maxCount, EventFilter? filter, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxCount);
        filter?.EnsureValid();
        await EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        var (events, snapshot) = await ReadLogPageAsync(from, maxCount, filter ?? EventFilter.None, snapshot: 0, cancellationToken).ConfigureAwait(false);
        var next = events.Count == maxCount ? events[^1].Position.Successor : Max(from, Position.EndOfRevision(snapshot));
        return new GlobalLogPage(events, next);
    }

    private static Position Max(Position a, Position b) => a.CompareTo(b) >= 0 ? a : b;

    /// <summary>
    /// Reads one segment's events in segment order (their commit order within the segment) from segment
    /// position <paramref name="fromSegmentPosition"/> (inclusive).
    /// </summary>
    /// <exception cref="SegmentNotFoundException">No such segment in the catalog.</exception>
    public IAsyncEnumerable<RecordedEvent> ReadSegmentAsync(
        string segmentId,
        long fromSegmentPosition = 0,
        long maxCount = long.MaxValue,
        CancellationToken cancellationToken = default) =>
        CallTimer.Timed(ReadSegmentCoreAsync(segmentId, fromSegmentPosition, maxCount, cancellationToken), StoreMetrics.ReadSeconds, StoreMetrics.ReadKindSegment, cancellationToken);

    private async IAsyncEnumerable<RecordedEvent> ReadSegmentCoreAsync(
        string segmentId, long fromSegmentPosition, long maxCount, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (!SegmentId.TryParse(segmentId, out var id)) throw new SegmentNotFoundException(segmentId);
        await EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        var (segments, snapshot) = await _catalog.ListSegmentsAsync(cancellationToken).ConfigureAwait(false);
        var segment = segments.FirstOrDefault(s => s.Record.Id == id) ?? throw new SegmentNotFoundException(segmentId);
        // Segment positions embed the base revision of their batch, so the batch holding a position starts at or before it.
        var reader = await OpenLogAsync(segment, new Position(Math.Max(0, fromSegmentPosition) / Position.IndexLimit, 0), snapshot, cancellationToken).ConfigureAwait(false);
        var left = maxCount;
        while (left > 0 && await reader.PeekAsync(cancellationToken).ConfigureAwait(false) is { } e)
        {
            reader.Advance();
            if (e.SegmentPosition < fromSegmentPosition) continue;
            left--;
            yield return e;
        }
    }

    private const int MaxOpenAttempts = 3;

    /// <summary>
    /// Opens a sealed segment's files on this node for reading in place (<see cref="SealedSegmentReader"/>):
    /// the fastest way to read a whole segment, with no object per event. The files are built from etcd, or
    /// fetched from the archive, first if this node lacks them. Dispose the reader when done; until then its
    /// memory stays valid even if the segment is evicted.
    /// </summary>
    /// <exception cref="SegmentNotFoundException">No such segment in the catalog.</exception>
    /// <exception cref="SegmentStateException">The segment is not sealed (read an active one with <see cref="ReadSegmentAsync"/>), or is archived and this node has no archive.</exception>
    /// <exception cref="SegmentFiles.SegmentFilesCorruptException">The files built (or fetched) here do not open, time after time.</exception>
    public async Task<SealedSegmentReader> OpenSealedSegmentAsync(string segmentId, CancellationToken cancellationToken = default)
    {
        if (!SegmentId.TryParse(segmentId, out var id)) throw new SegmentNotFoundException(segmentId);
        await EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        for (var attempt = 1; ; attempt++)
        {
            var found = await _catalog.ReadSegmentsAsync([id], cancellationToken).ConfigureAwait(false);
            if (found.Count == 0) throw new SegmentNotFoundException(segmentId);
            var segment = found[0];
            if (segment.Record.Status != SegmentStatus.Sealed)
                throw new SegmentStateException(id, $"Segment {id} is {SegmentRecord.StatusName(segment.Record.Status)}; only sealed segments are read in place (ReadSegmentAsync reads any retained segment).");
            var files = await FilesOfSealedAsync(segment, cancellationToken).ConfigureAwait(false);
            // A set disposed between the look-up and the lease was replaced or evicted: look again, a few times.
            if (files is not null && files.TryAcquireLease()) return new SealedSegmentReader(id, files);
            if (attempt == MaxOpenAttempts)
                throw new SegmentFiles.SegmentFilesCorruptException(_local.DirectoryOf(id), $"the files of segment {id} were built {attempt} times and still do not open on this node");
        }
    }

    /// <summary>
    /// A sealed segment reads from its local files when this node has them or can fetch them from the archive,
    /// any other from etcd. An archived segment's keys may be gone from etcd, so it is never read from there.
    /// </summary>
    private async ValueTask<ISegmentLog> OpenLogAsync(SegmentView segment, Position from, long snapshot, CancellationToken cancellationToken)
    {
        var id = segment.Record.Id;
        if (segment.Record.Status != SegmentStatus.Sealed) return new SegmentLogReader(_context, segment, from, snapshot);
        if (await _local.GetOrFetchAsync(id, segment.Record.ArchiveChecksum, cancellationToken).ConfigureAwait(false) is { } files)
            return new FileSegmentLog(id, files, from);
        if (segment.Record.IsArchived)
            throw new SegmentStateException(id, $"Segment {id} was archived out of etcd and this node cannot read the archive: set segment.archive (Fossil:Segment:Archive) to the archive directory.");
        return new SegmentLogReader(_context, segment, from, snapshot);
    }

    /// <summary>
    /// Up to <paramref name="maxCount"/> events from <paramref name="from"/> at one revision (the current one
    /// when <paramref name="snapshot"/> is 0), and that revision: everything at or before it has been seen.
    /// </summary>
    internal async Task<(List<RecordedEvent> Events, long Snapshot)> ReadLogPageAsync(
        Position from, long maxCount, EventFilter filter, long snapshot, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await ReadAllPageAtAsync(from, maxCount, filter, snapshot, cancellationToken).ConfigureAwait(false);
            }
            catch (EtcdCompactedException) when (attempt < 3)
            {
                // Compaction passed the revision this page was reading at: read it again at a newer one.
                snapshot = 0;
            }
        }
    }

    private async Task<(List<RecordedEvent> Events, long Snapshot)> ReadAllPageAtAsync(
        Position from, long maxCount, EventFilter filter, long snapshot, CancellationToken cancellationToken)
    {
        var catalog = await _catalog.ListSegmentsAsync(cancellationToken, snapshot).ConfigureAwait(false);
        snapshot = snapshot == 0 ? catalog.Snapshot : snapshot;
        var events = new List<RecordedEvent>();
        // A segment's events lie between its record's creation and its last write; windows follow each other in revision order.
        var windows = catalog.Segments
            .Where(s => s.ModRevision >= from.Revision && s.Record.Status is SegmentStatus.Active or SegmentStatus.Sealed)
            .GroupBy(s => s.Record.TimeRange.Start)
            .OrderBy(g => g.Key);
        foreach (var window in windows)
        {
            var readers = new List<ISegmentLog>();
            foreach (var segment in window) readers.Add(await OpenLogAsync(segment, from, snapshot, cancellationToken).ConfigureAwait(false));
            while (events.Count < maxCount)
            {
                ISegmentLog? next = null;
                RecordedEvent? head = null;
                foreach (var reader in readers)
                {
                    if (await reader.PeekAsync(cancellationToken).ConfigureAwait(false) is not { } candidate) continue;
                    if (head is null || candidate.Position < head.Position)
                    {
                        next = reader;
                        head = candidate;
                    }
                }
                if (next is null || head is null) break;
                next.Advance();
                if (filter.Matches(head)) events.Add(head);
            }
            if (events.Count >= maxCount) break;
        }
        return (events, snapshot);
    }
}
