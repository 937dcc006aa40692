using Fossil.Kv.Cluster;
using Fossil.Kv.Segments;

namespace Fossil.Kv;

public sealed partial class EventStore
{
    /// <summary>Whether this node has the segment's verified files under <c>segment.directory</c>.</summary>
    public bool IsMaterialized(string segmentId) => SegmentId.TryParse(segmentId, out var id) && _local.TryGet(id) is not null;

    /// <summary>
    /// The record with what this node's files know and the catalog does not: appends cannot count distinct
    /// entities, so a sealed segment's <c>entity_count</c> comes from its materialized <c>entities.idx</c>.
    /// </summary>
    public SegmentRecord WithLocalCounts(SegmentRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        return record.EntityCount == 0 && SegmentId.TryParse(record.SegmentId, out var id) && _local.TryGet(id) is { } files
            ? record with { EntityCount = files.EntityCount }
            : record;
    }

    /// <summary>
    /// Builds a sealed segment's files on this node (in a temporary directory, fsync'd, renamed into
    /// place) unless a verified copy is there; reads of the segment then come from them.
    /// Returns true when files were built.
    /// </summary>
    /// <exception cref="SegmentNotFoundException">No such segment.</exception>
    /// <exception cref="SegmentStateException">The segment is not sealed.</exception>
    public Task<bool> MaterializeSegmentAsync(string segmentId, CancellationToken cancellationToken = default) =>
        MaterializeSegmentAsync(segmentId, progress: null, cancellationToken);

    /// <inheritdoc cref="MaterializeSegmentAsync(string, CancellationToken)"/>
    /// <param name="segmentId">The segment.</param>
    /// <param name="progress">Told the number of events copied so far while files are built (of the record's <c>document_count</c>).</param>
    /// <param name="cancellationToken">Cancels the build; nothing is left behind.</param>
    public async Task<bool> MaterializeSegmentAsync(string segmentId, IProgress<long>? progress, CancellationToken cancellationToken = default)
    {
        if (!SegmentId.TryParse(segmentId, out var id)) throw new SegmentNotFoundException(segmentId);
        await EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        var found = await _catalog.ReadSegmentsAsync([id], cancellationToken).ConfigureAwait(false);
        if (found.Count == 0) throw new SegmentNotFoundException(segmentId);
        var settings = await _catalog.GetSettingsAsync(cancellationToken).ConfigureAwait(false);
        return await _local.MaterializeAsync(found[0], settings, progress, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// A sealed segment's files on this node, built from etcd (or fetched from the archive) first when they are
    /// missing; null when they still do not open.
    /// </summary>
    private async Task<SegmentFiles.SegmentFileSet?> FilesOfSealedAsync(SegmentView segment, CancellationToken cancellationToken)
    {
        if (_local.TryGet(segment.Record.Id) is { } present) return present;
        var settings = await _catalog.GetSettingsAsync(cancellationToken).ConfigureAwait(false);
        await _local.MaterializeAsync(segment, settings, cancellationToken).ConfigureAwait(false);
        return _local.TryGet(segment.Record.Id);
    }

    /// <summary>
    /// Background work of every node: drops its copies of segments that left the catalog (evicted or expired
    /// elsewhere), materializes the sealed segments it lacks, oldest first (fetching archived
    /// ones from <c>segment.archive</c>), archives them when this node has an archive, and keeps the <c>current</c>
    /// pointer naming the active segments. A segment that fails (a damaged or unreachable archive copy, keys that left
    /// etcd under a build, NOSPACE, a record its files cannot take) is logged and left for the next round, so it does
    /// not hold up the others.
    /// Returns how many segments were built or fetched.
    /// </summary>
    public async Task<int> MaterializeSealedSegmentsAsync(CancellationToken cancellationToken = default)
    {
        await EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        if (_catalog.CachedWindow is { } window) _local.WriteCurrentPointer(window);
        var (segments, _) = await _catalog.ListSegmentsAsync(cancellationToken).ConfigureAwait(false);
        var retained = segments.Where(s => s.Record.Status is SegmentStatus.Active or SegmentStatus.Sealed).Select(s => s.Record.Id).ToHashSet();
        if (_local.DropAllExcept(retained) is > 0 and var dropped) Log.LocalCopiesDropped(_context.Logger, dropped);
        var settings = await _catalog.GetSettingsAsync(cancellationToken).ConfigureAwait(false);
        var built = 0;
        foreach (var segment in segments.Where(s => s.Record.Status == SegmentStatus.Sealed))
        {
            try
            {
                if (!_local.IsMaterialized(segment.Record.Id) && await _local.MaterializeAsync(segment, settings, cancellationToken).ConfigureAwait(false)) built++;
                if (_local.ArchiveRoot is not null && !_local.IsArchiveComplete(segment.Record.Id))
                    await Archiving.ArchiveAsync(segment.Record.Id, cancellationToken).ConfigureAwait(false);
            }
            // Anything but etcd being out of reach (which fails the round, to be retried whole) stays with its segment:
            // a segment that cannot be built, whatever the cause, must not keep the later ones from materializing.
            catch (Exception e) when (e is not OperationCanceledException && (e is not Fossil.Kv.Etcd.EtcdException || e is Fossil.Kv.Etcd.EtcdNoSpaceException))
            {
                Log.SegmentWorkFailed(_context.Logger, segment.Record.Id, e);
            }
        }
        return built;
    }

    /// <summary>
    /// Archives a sealed segment now (<c>segment.archive</c> must be set): its files are published to the archive
    /// and verified, the record notes the copy, and then its event keys are deleted from etcd; every read of it
    /// then comes from files, fetched from the archive by nodes that lack them. Safe to repeat and to run on
    /// several nodes at once; it completes what an interrupted run left. Returns true when the segment is archived.
    /// </summary>
    /// <exception cref="SegmentNotFoundException">The id is not a segment id.</exception>
    /// <exception cref="SegmentStateException">The segment is active.</exception>
    /// <exception cref="InvalidOperationException">This node has no <c>segment.archive</c>.</exception>
    public async Task<bool> ArchiveSegmentAsync(string segmentId, CancellationToken cancellationToken = default)
    {
        if (!SegmentId.TryParse(segmentId, out var id)) throw new SegmentNotFoundException(segmentId);
        await EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        return await Archiving.ArchiveAsync(id, cancellationToken).ConfigureAwait(false);
    }

    private Lifecycle.SegmentArchiving Archiving => new(_context, _catalog, _local);

    /// <summary>
    /// Evicts a sealed segment now: it becomes Expiring (it leaves reads and search), the versions of streams
    /// whose last event it holds are kept in their heads, then its files (and archived copy), its etcd key range
    /// and its record go. Evicting a segment that is gone changes nothing. Under etcd's NOSPACE alarm only the
    /// segment's events can be deleted (that frees their space for compaction); the method then returns false and
    /// evicting again after recovery (compact, defragment, disarm) finishes the job.
    /// </summary>
    /// <exception cref="SegmentNotFoundException">The id is not a segment id.</exception>
    /// <exception cref="SegmentStateException">The segment is active.</exception>
    public async Task<bool> EvictSegmentAsync(string segmentId, CancellationToken cancellationToken = default)
    {
        if (!SegmentId.TryParse(segmentId, out var id)) throw new SegmentNotFoundException(segmentId);
        await EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        return await new Lifecycle.SegmentEviction(_context, _catalog, _local).EvictAsync(id, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Evicts every sealed segment whose window ended more than <c>segment.retention</c> ago, then compacts. Returns how many.</summary>
    /// <param name="claim">The node's background-work claim; the work is fenced by it.</param>
    /// <param name="cancellationToken">Stops the work between steps; every step is safe to repeat.</param>
    public async Task<int> ApplyRetentionAsync(BackgroundWorkClaim? claim = null, CancellationToken cancellationToken = default)
    {
        await EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        var settings = await _catalog.GetSettingsAsync(cancellationToken).ConfigureAwait(false);
        var (segments, _) = await _catalog.ListSegmentsAsync(cancellationToken).ConfigureAwait(false);
        var cutoff = _context.UtcNow - settings.SegmentRetention;
        var evicted = 0;
        foreach (var segment in segments.Where(s => s.Record.Status is SegmentStatus.Sealed or SegmentStatus.Expiring && s.Record.TimeRange.End <= cutoff))
        {
            await new Lifecycle.SegmentEviction(_context, _catalog, _local, claim).EvictAsync(segment.Record.Id, cancellationToken).ConfigureAwait(false);
            evicted++;
        }
        if (evicted > 0) await CompactAsync(force: true, claim: claim, cancellationToken: cancellationToken).ConfigureAwait(false);
        return evicted;
    }

    /// <summary>
    /// Compacts etcd's history, claimed by a compare-and-swap on <c>/meta/compaction</c> so one node does it per
    /// round. Like Kubernetes' apiservers, a round compacts up to the revision the previous round recorded, so
    /// reads and watches always keep at least <paramref name="interval"/> (5 minutes by default) of history;
    /// <paramref name="force"/> compacts up to now and waits until etcd has physically applied it (after an eviction, to
    /// reclaim the space of deleted ranges; under NOSPACE it compacts without a claim, since no claim can be written).
    /// Returns the revision compacted to, or null when it was not due, another node did it, or
    /// <paramref name="claim"/> (when given) no longer holds the background work.
    /// </summary>
    public async Task<long?> CompactAsync(bool force = false, TimeSpan? interval = null, BackgroundWorkClaim? claim = null, CancellationToken cancellationToken = default)
    {
        await EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        var key = _context.Keys.Compaction;
        var current = await _context.Etcd.GetAsync(Keyspace.Ops.Bytes(key), cancellationToken).ConfigureAwait(false);
        var now = current.Header.Revision;
        var last = current.Kvs.Count > 0 ? System.Text.Json.JsonSerializer.Deserialize<CompactionRecord>(current.Kvs[0].Value.Span, FossilJson.Compact) : null;
        if (!force && last is not null && _context.UtcNow - last.At < (interval ?? TimeSpan.FromMinutes(5))) return null;
        var round = new Etcdserverpb.TxnRequest();
        round.Compare.Add(current.Kvs.Count > 0 ? Keyspace.Ops.ModRevisionIs(key, current.Kvs[0].ModRevision) : Keyspace.Ops.Missing(key));
        if (claim is not null) round.Compare.Add(claim.Fence);
        round.Success.Add(Keyspace.Ops.Put(key, System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(new CompactionRecord(now, _context.UtcNow), FossilJson.Compact)));
        try
        {
            if (!(await _context.Etcd.TxnAsync(round, cancellationToken).ConfigureAwait(false)).Succeeded) return null;
        }
        catch (Fossil.Kv.Etcd.EtcdNoSpaceException) when (force)
        {
            // Over quota nothing can be claimed, and compaction is what frees space: do it unclaimed (compacting
            // twice to one revision is harmless; the loser hears "compacted").
            Log.CompactingUnderNoSpace(_context.Logger, now);
        }
        var target = force ? now : last?.Revision;
        if (target is not { } revision) return null; // the first round only records where the next one compacts to
        try
        {
            // A forced round (after an eviction, or to get out of NOSPACE) waits until the history is really gone,
            // so that a defragmentation right after it gives the space back.
            await _context.Etcd.CompactAsync(new Etcdserverpb.CompactionRequest { Revision = revision, Physical = force }, cancellationToken).ConfigureAwait(false);
        }
        catch (Etcd.EtcdCompactedException)
        {
            // etcd's own auto-compaction got there first: the history is gone either way.
        }
        return revision;
    }

    private sealed record CompactionRecord(long Revision, DateTime At);
}
