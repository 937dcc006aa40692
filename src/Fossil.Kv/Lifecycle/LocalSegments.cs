using System.Collections.Concurrent;
using Fossil.Kv.Reads;
using Fossil.Kv.SegmentFiles;
using Fossil.Kv.Segments;
using Fossil.Kv.Vectors;

namespace Fossil.Kv.Lifecycle;

/// <summary>
/// This node's materialized sealed segments under <c>segment.directory</c>: one directory per segment,
/// built in a temporary directory from etcd, verified, and renamed into place (ADR 0006). A copy that
/// fails verification is deleted and built again; sets stay open (memory-mapped) while the store runs.
/// With <c>segment.archive</c>, archived segments are fetched from there instead (LocalSegments.Archive.cs).
/// </summary>
internal sealed partial class LocalSegments(StoreContext context) : IDisposable
{
    private const string TemporaryPrefix = ".tmp-";
    private const int ProgressInterval = 1000;
    private readonly ConcurrentDictionary<SegmentId, SegmentFileSet> _open = new();
    private readonly SemaphoreSlim _building = new(1, 1);
    private bool _cleaned;

    public string Root => Path.GetFullPath(context.Options.Segment.Directory);

    public string DirectoryOf(SegmentId segment) => Path.Combine(Root, segment.ToString());

    /// <summary>The open file set of a materialized segment, opening (and verifying) it on first use; null when absent or damaged.</summary>
    public SegmentFileSet? TryGet(SegmentId segment)
    {
        if (_open.TryGetValue(segment, out var set)) return set;
        var directory = DirectoryOf(segment);
        if (!Directory.Exists(directory)) return null;
        if (!SegmentFileSet.TryOpen(directory, context.Options.Segment.MmapPopulate, out set, out _)) return null;
        return _open.GetOrAdd(segment, set) is var kept && kept != set ? Discard(set, kept) : set;
    }

    private static SegmentFileSet Discard(SegmentFileSet duplicate, SegmentFileSet kept)
    {
        duplicate.Dispose();
        return kept;
    }

    public bool IsMaterialized(SegmentId segment) => TryGet(segment) is not null;

    /// <summary>
    /// Builds the segment's files from etcd unless a verified copy is already in place; an archived segment
    /// (whose keys may have left etcd) is fetched from the archive instead.
    /// </summary>
    /// <exception cref="SegmentStateException">The segment is not sealed, or is archived and this node has no archive, or its keys left etcd while it was built.</exception>
    /// <exception cref="SegmentFilesCorruptException">The archived copy is damaged.</exception>
    public Task<bool> MaterializeAsync(SegmentView segment, Configuration.StoreSettings settings, CancellationToken cancellationToken) =>
        MaterializeAsync(segment, settings, progress: null, cancellationToken);

    /// <summary>As above, telling <paramref name="progress"/> the number of events copied every <see cref="ProgressInterval"/> and at the end.</summary>
    public async Task<bool> MaterializeAsync(SegmentView segment, Configuration.StoreSettings settings, IProgress<long>? progress, CancellationToken cancellationToken)
    {
        var id = segment.Record.Id;
        if (segment.Record.Status != SegmentStatus.Sealed) throw new SegmentStateException(id, $"Segment {id} is {SegmentRecord.StatusName(segment.Record.Status)}; only sealed segments are materialized.");
        if (segment.Record.IsArchived)
        {
            if (TryGet(id) is not null) return false;
            return await FetchAsync(id, segment.Record.ArchiveChecksum, cancellationToken).ConfigureAwait(false) is not null
                ? true
                : throw new SegmentStateException(id, $"Segment {id} was archived out of etcd and this node has no copy of it: set segment.archive (Fossil:Segment:Archive) to the archive directory.");
        }
        await _building.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            CleanLeftoversOnce();
            if (TryGet(id) is not null) return false;
            var temporary = Path.Combine(Root, $"{TemporaryPrefix}{id}-{Guid.NewGuid():N}");
            try
            {
                using (var writer = new SegmentFileWriter(temporary, new SegmentFileOptions
                {
                    SegmentId = id.ToString(),
                    Partition = segment.Record.Partition,
                    TimeRange = segment.Record.TimeRange,
                    CreatedAt = segment.Record.CreatedAt,
                    SealedAt = segment.Record.SealedAt ?? context.UtcNow,
                    VectorDimension = settings.VectorDimension,
                    VectorMetric = settings.Metric,
                    Hnsw = new HnswParameters(settings.HnswM, settings.HnswEfConstruction, settings.HnswEfSearch),
                }))
                {
                    var reader = new SegmentLogReader(context, segment, Position.Start, snapshot: 0);
                    long count = 0;
                    while (await reader.PeekAsync(cancellationToken).ConfigureAwait(false) is { } next)
                    {
                        writer.Append(reader.PeekedRecord.Span, next.SegmentPosition, next.Position.Revision);
                        reader.Advance();
                        if (++count % ProgressInterval == 0) progress?.Report(count);
                    }
                    if (count == 0 || count % ProgressInterval != 0) progress?.Report(count); // the last report, unless the loop just made it
                    // Every append counts its events into the record, so a shortfall means keys were deleted (archived
                    // or evicted) under the reader: such a copy must never be published, least of all to the archive.
                    if (count != segment.Record.DocumentCount)
                        throw new SegmentStateException(id, $"Segment {id} holds {segment.Record.DocumentCount} events but {count} were read from etcd; its keys left etcd while it was built (archived or evicted).");
                    writer.Complete();
                    if (writer.UnindexedVectors > 0) Log.VectorsNotIndexed(context.Logger, id, writer.UnindexedVectors, settings.VectorMetric);
                }
                await SegmentFileWriter.PublishAsync(temporary, DirectoryOf(id), cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                if (Directory.Exists(temporary)) Directory.Delete(temporary, recursive: true);
            }
            if (_open.TryRemove(id, out var stale)) Retire(stale);
            return TryGet(id) is not null;
        }
        finally
        {
            _building.Release();
        }
    }

    /// <summary>A crash can leave half-built temporary directories and replaced copies; they are never read, so remove them.</summary>
    private void CleanLeftoversOnce()
    {
        if (_cleaned) return;
        _cleaned = true;
        if (!Directory.Exists(Root)) return;
        foreach (var directory in Directory.EnumerateDirectories(Root))
        {
            var name = Path.GetFileName(directory);
            if (name.StartsWith(TemporaryPrefix, StringComparison.Ordinal) || name.Contains(SegmentFileWriter.ReplacedSuffix, StringComparison.Ordinal))
                Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>
    /// Removes the segment's files. The mapping is released a little later, so reads still running on it
    /// finish first (Linux keeps unlinked files readable while mapped).
    /// </summary>
    public void Drop(SegmentId segment)
    {
        _archiveComplete.TryRemove(segment, out _);
        if (_open.TryRemove(segment, out var set)) Retire(set);
        var directory = DirectoryOf(segment);
        if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
    }

    /// <summary>
    /// Drops the files of every segment not in <paramref name="retained"/>: segments evicted or expired by another
    /// process (a node holding the background work, the CLI) leave the catalog, and this node must stop serving
    /// them too. Returns how many were dropped.
    /// </summary>
    public int DropAllExcept(IReadOnlySet<SegmentId> retained)
    {
        if (!Directory.Exists(Root)) return 0;
        var dropped = 0;
        foreach (var directory in Directory.EnumerateDirectories(Root))
        {
            // Temporary and replaced copies have names that are no segment id; CleanLeftoversOnce takes those.
            if (!SegmentId.TryParse(Path.GetFileName(directory), out var segment) || retained.Contains(segment)) continue;
            Drop(segment);
            dropped++;
        }
        return dropped;
    }

    /// <summary>
    /// Lets a set that left <see cref="_open"/> go only after reads that picked it up before have finished: they
    /// hold raw pointers into the mapping, and only <see cref="SealedSegmentReader"/>s take a lease.
    /// </summary>
    private static void Retire(SegmentFileSet set) =>
        _ = Task.Delay(RetireDelay).ContinueWith(_ => set.Dispose(), TaskScheduler.Default);

    private static readonly TimeSpan RetireDelay = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The seed's <c>current</c> pointer: a file naming the active segments, one per line (several partitions
    /// are active at once, so it cannot be a single symlink).
    /// </summary>
    public void WriteCurrentPointer(WindowView window)
    {
        Directory.CreateDirectory(Root);
        var path = Path.Combine(Root, "current");
        var temporary = path + ".tmp";
        File.WriteAllLines(temporary, window.Record.Segments);
        File.Move(temporary, path, overwrite: true);
    }

    public void Dispose()
    {
        foreach (var set in _open.Values) set.Dispose();
        _open.Clear();
        _building.Dispose();
    }
}
