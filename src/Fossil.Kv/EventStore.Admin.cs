using System.Text.Json.Nodes;
using Etcdserverpb;
using Fossil.Kv.Configuration;
using Fossil.Kv.Keyspace;
using Fossil.Kv.Segments;

namespace Fossil.Kv;

public sealed partial class EventStore
{
    /// <summary>The store-wide settings in <c>/meta/config</c>, read now.</summary>
    public async Task<StoreSettings> GetSettingsAsync(CancellationToken cancellationToken = default) =>
        (await GetVersionedSettingsAsync(cancellationToken).ConfigureAwait(false)).Settings;

    /// <summary>
    /// The store-wide settings in <c>/meta/config</c>, read now, with the etcd revision of their last change:
    /// pass it to <see cref="UpdateSettingsAsync(JsonObject, long, CancellationToken)"/> to change them only
    /// if nobody else did in between.
    /// </summary>
    public async Task<(StoreSettings Settings, long Revision)> GetVersionedSettingsAsync(CancellationToken cancellationToken = default)
    {
        await EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        var current = await _context.Etcd.GetAsync(Ops.Bytes(_context.Keys.Config), cancellationToken).ConfigureAwait(false);
        var kv = current.Kvs.Count > 0 ? current.Kvs[0] : throw _catalog.MissingConfig();
        _catalog.ForgetSettings();
        return (StoreSettings.FromJsonBytes(kv.Value.Span), kv.ModRevision);
    }

    /// <summary>
    /// Changes store-wide settings with a compare-and-swap on <c>/meta/config</c>, on top of whatever is current
    /// (settings another caller changed meanwhile are kept): every value is validated first, and nothing
    /// changes unless all are valid. Segment settings take effect at the next window. Returns the settings
    /// before and after, and the revision of the change.
    /// </summary>
    /// <exception cref="InvalidSettingException">A name is unknown or a value is invalid.</exception>
    public Task<SettingsUpdate> UpdateSettingsAsync(JsonObject changes, CancellationToken cancellationToken = default) =>
        UpdateSettingsCoreAsync(changes, expectedRevisions: null, cancellationToken);

    /// <summary>
    /// As <see cref="UpdateSettingsAsync(JsonObject, CancellationToken)"/>, but only if the settings are still at
    /// <paramref name="expectedRevision"/> (from <see cref="GetVersionedSettingsAsync"/>): nobody changed them since.
    /// </summary>
    /// <exception cref="InvalidSettingException">A name is unknown or a value is invalid.</exception>
    /// <exception cref="SettingsChangedException">The settings are no longer at <paramref name="expectedRevision"/>.</exception>
    public Task<SettingsUpdate> UpdateSettingsAsync(JsonObject changes, long expectedRevision, CancellationToken cancellationToken = default) =>
        UpdateSettingsCoreAsync(changes, [expectedRevision], cancellationToken);

    /// <summary>
    /// As <see cref="UpdateSettingsAsync(JsonObject, long, CancellationToken)"/>, but if the settings are still at any
    /// one of <paramref name="expectedRevisions"/> (as HTTP's <c>If-Match</c> with a list of ETags).
    /// </summary>
    /// <exception cref="InvalidSettingException">A name is unknown or a value is invalid.</exception>
    /// <exception cref="SettingsChangedException">The settings are at none of <paramref name="expectedRevisions"/>.</exception>
    public Task<SettingsUpdate> UpdateSettingsAsync(JsonObject changes, IReadOnlyCollection<long> expectedRevisions, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(expectedRevisions);
        if (expectedRevisions.Count == 0) throw new ArgumentException("Name at least one revision.", nameof(expectedRevisions));
        return UpdateSettingsCoreAsync(changes, expectedRevisions, cancellationToken);
    }

    private async Task<SettingsUpdate> UpdateSettingsCoreAsync(JsonObject changes, IReadOnlyCollection<long>? expectedRevisions, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(changes);
        if (changes.Count == 0) throw new InvalidRequestException("The change names no setting.");
        await EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        var key = _context.Keys.Config;
        while (true)
        {
            var current = await _context.Etcd.GetAsync(Ops.Bytes(key), cancellationToken).ConfigureAwait(false);
            var kv = current.Kvs.Count > 0 ? current.Kvs[0] : throw _catalog.MissingConfig();
            var before = StoreSettings.FromJsonBytes(kv.Value.Span);
            var after = before.WithJson(changes);
            if (before.VectorDimension != 0 && after.VectorDimension != before.VectorDimension)
                throw new InvalidSettingException("vector.dimension", $"vector.dimension is already fixed at {before.VectorDimension} (by the first vector appended, or set before it); it cannot become {after.VectorDimension}.");
            // Vectors were checked, and sealed segments indexed, under the metric in force: a new one would mix measures.
            if (before.VectorDimension != 0 && after.VectorMetric != before.VectorMetric)
                throw new InvalidSettingException("vector.metric", $"vector.metric is fixed once vector.dimension is (at {before.VectorDimension}): vectors were accepted and segments indexed under '{before.VectorMetric}'; it cannot become '{after.VectorMetric}'.");
            // Checked after validation: a bad value is the caller's first problem, whatever the revision.
            if (expectedRevisions is not null && !expectedRevisions.Contains(kv.ModRevision)) throw new SettingsChangedException(expectedRevisions, kv.ModRevision);
            var txn = new TxnRequest();
            txn.Compare.Add(Ops.ModRevisionIs(key, kv.ModRevision));
            txn.Success.Add(Ops.Put(key, after.ToJsonBytes()));
            var response = await _context.Etcd.TxnAsync(txn, cancellationToken).ConfigureAwait(false);
            if (response.Succeeded)
            {
                _catalog.ForgetSettings();
                return new SettingsUpdate(before, after, response.Header.Revision);
            }
        }
    }

    /// <summary>The segment catalog, oldest first.</summary>
    public async Task<IReadOnlyList<SegmentRecord>> ListSegmentsAsync(CancellationToken cancellationToken = default)
    {
        await EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        var (segments, _) = await _catalog.ListSegmentsAsync(cancellationToken).ConfigureAwait(false);
        return [.. segments.Select(s => s.Record)];
    }

    /// <summary>One segment's catalog entry, read from etcd now.</summary>
    /// <exception cref="SegmentNotFoundException">No such segment.</exception>
    public async Task<SegmentRecord> GetSegmentAsync(string segmentId, CancellationToken cancellationToken = default)
    {
        if (!SegmentId.TryParse(segmentId, out var id)) throw new SegmentNotFoundException(segmentId);
        await EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        var found = await _catalog.ReadSegmentsAsync([id], cancellationToken).ConfigureAwait(false);
        return found.Count > 0 ? found[0].Record : throw new SegmentNotFoundException(segmentId);
    }

    /// <summary>True when etcd answers a linearizable read now.</summary>
    public async Task<bool> IsEtcdReachableAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            await _context.Etcd.GetAsync(Ops.Bytes(_context.Keys.Config), cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (Etcd.EtcdException)
        {
            return false;
        }
    }

    /// <summary>
    /// Seals a segment now: an active segment's partition moves to a new segment (a new generation in the
    /// same window) in one compare-and-swap, and appends go there from then on. Sealing a sealed segment
    /// changes nothing. Returns the segment's record afterwards.
    /// </summary>
    /// <exception cref="SegmentNotFoundException">No such segment.</exception>
    public async Task<SegmentRecord> SealSegmentAsync(string segmentId, CancellationToken cancellationToken = default)
    {
        var record = await GetSegmentAsync(segmentId, cancellationToken).ConfigureAwait(false);
        while (record.Status == SegmentStatus.Active)
        {
            var window = await _catalog.ReadWindowAsync(cancellationToken).ConfigureAwait(false);
            // Rotation seals the replaced segments in the same Txn, so an active segment is always in the window.
            if (window is null || !window.Contains(record.Id))
                throw new SegmentStateException(record.Id, $"Segment {segmentId} is marked active but is not in the current window.");
            await _catalog.RotateAsync(window, record.Partition, cancellationToken).ConfigureAwait(false);
            record = await GetSegmentAsync(segmentId, cancellationToken).ConfigureAwait(false);
        }
        return record;
    }
}
