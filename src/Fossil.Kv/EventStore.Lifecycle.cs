using Fossil.Kv.Segments;

namespace Fossil.Kv;

public sealed partial class EventStore
{
    /// <summary>Whether this node has the segment's verified files under <c>segment.directory</c>.</summary>
    public bool IsMaterialized(string segmentId) => SegmentId.TryParse(segmentId, out var id) && _local.TryGet(id) is not null;

    /// <summary>
    /// Builds a sealed segment's files on this node (in a temporary directory, fsync'd, renamed into
    /// place) unless a verified copy is there; reads of the segment then come from them.
    /// Returns true when files were built.
    /// </summary>
    /// <exception cref="SegmentNotFoundException">No such segment.</exception>
    /// <exception cref="SegmentStateException">The segment is not sealed.</exception>
    public async Task<bool> MaterializeSegmentAsync(string segmentId, CancellationToken cancellationToken = default)
    {
        if (!SegmentId.TryParse(segmentId, out var id)) throw new SegmentNotFoundException(segmentId);
        await EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        var found = await _catalog.ReadSegmentsAsync([id], cancellationToken).ConfigureAwait(false);
        if (found.Count == 0) throw new SegmentNotFoundException(segmentId);
        var settings = await _catalog.GetSettingsAsync(cancellationToken).ConfigureAwait(false);
        return await _local.MaterializeAsync(found[0], settings, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Background work of every node: materializes the sealed segments it lacks, oldest first, and keeps
    /// the <c>current</c> pointer naming the active segments. Returns how many segments were built.
    /// </summary>
    public async Task<int> MaterializeSealedSegmentsAsync(CancellationToken cancellationToken = default)
    {
        await EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        if (_catalog.CachedWindow is { } window) _local.WriteCurrentPointer(window);
        var (segments, _) = await _catalog.ListSegmentsAsync(cancellationToken).ConfigureAwait(false);
        var settings = await _catalog.GetSettingsAsync(cancellationToken).ConfigureAwait(false);
        var built = 0;
        foreach (var segment in segments.Where(s => s.Record.Status == SegmentStatus.Sealed))
        {
            if (_local.IsMaterialized(segment.Record.Id)) continue;
            if (await _local.MaterializeAsync(segment, settings, cancellationToken).ConfigureAwait(false)) built++;
        }
        return built;
    }
}
