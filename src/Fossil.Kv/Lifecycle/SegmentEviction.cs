using Etcdserverpb;
using Fossil.Kv.Etcd;
using Fossil.Kv.Keyspace;
using Fossil.Kv.Segments;

namespace Fossil.Kv.Lifecycle;

/// <summary>
/// Sealed → Expiring → Dropped. Each step is a compare-and-swap on the segment record, idempotent, and
/// safe to repeat after a crash. Dropping is a constant number of operations whatever the segment's size:
/// one directory removed (and its archived copy), one key range deleted, one record deleted, in one Txn for the keys.
/// Under etcd's NOSPACE alarm, when no put can land, eviction still frees the space of the segment's events
/// with deletes alone and finishes the rest once etcd takes writes again.
/// </summary>
/// <remarks>When retention evicts, the background-work claim fences the step that starts an eviction.</remarks>
internal sealed class SegmentEviction(StoreContext context, SegmentCatalog catalog, LocalSegments local, Cluster.BackgroundWorkClaim? claim = null)
{
    /// <summary>True when the segment is gone; false when etcd is over its quota and only its events could be deleted yet.</summary>
    public async Task<bool> EvictAsync(SegmentId segment, CancellationToken cancellationToken)
    {
        var keys = context.Keys;
        while (true)
        {
            var found = await catalog.ReadSegmentsAsync([segment], cancellationToken).ConfigureAwait(false);
            if (found.Count == 0) break; // already dropped
            var view = found[0];
            try
            {
                switch (view.Record.Status)
                {
                    case SegmentStatus.Active:
                        throw new SegmentStateException(segment, $"Segment {segment} is active; seal it before evicting it.");
                    case SegmentStatus.Sealed:
                        await TransitionAsync(view, view.Record with { Status = SegmentStatus.Expiring }, cancellationToken).ConfigureAwait(false);
                        continue;
                    case SegmentStatus.Expiring:
                        // Done before any file goes: a retry that finds the files gone knows the versions were kept.
                        await DormantStreams.KeepVersionsAsync(context, segment, cancellationToken).ConfigureAwait(false);
                        local.Drop(segment);
                        local.DropFromArchive(segment, view.Record.ArchivedAt);
                        var drop = new TxnRequest();
                        drop.Compare.Add(Ops.ModRevisionIs(keys.Segment(segment), view.ModRevision));
                        drop.Success.Add(SegmentArchiving.DeleteRange(keys.SegmentData(segment)));
                        drop.Success.Add(new RequestOp { RequestDeleteRange = new DeleteRangeRequest { Key = Ops.Bytes(keys.Segment(segment)) } });
                        await context.Etcd.TxnAsync(drop, cancellationToken).ConfigureAwait(false);
                        continue;
                    default:
                        return true;
                }
            }
            catch (EtcdNoSpaceException)
            {
                await DeleteEventsUnderNoSpaceAsync(view, cancellationToken).ConfigureAwait(false);
                Log.EvictionDeferred(context.Logger, segment);
                return false;
            }
        }
        local.Drop(segment);
        local.DropFromArchive(segment);
        return true;
    }

    private async Task TransitionAsync(SegmentView view, SegmentRecord next, CancellationToken cancellationToken)
    {
        var key = context.Keys.Segment(view.Record.Id);
        var txn = new TxnRequest();
        txn.Compare.Add(Ops.ModRevisionIs(key, view.ModRevision));
        txn.Success.Add(Ops.Put(key, next.ToJsonBytes()));
        if (claim is not null)
        {
            // Only the start of an eviction is fenced: once a segment is Expiring, finishing it is right for anyone.
            txn.Compare.Add(claim.Fence);
            txn.Failure.Add(claim.ReadClaim);
        }
        var response = await context.Etcd.TxnAsync(txn, cancellationToken).ConfigureAwait(false);
        if (!response.Succeeded && claim is not null && !claim.IsHeldIn(response.Responses[0].ResponseRange))
            throw new Cluster.BackgroundWorkLostException(claim.NodeId);
    }

    /// <summary>
    /// Frees the bulk of the segment's space (its batches: every event's payload) with deletes only, which etcd
    /// takes under NOSPACE. The stream entries stay, so stream versions and the last appends' event ids are still
    /// known when the eviction finishes after recovery; the record, being unwritable, stays as it is. A sealed
    /// segment's batches never change, and a node materializing it meanwhile sees the count fall short and stops.
    /// </summary>
    private async Task DeleteEventsUnderNoSpaceAsync(SegmentView view, CancellationToken cancellationToken)
    {
        var keys = context.Keys;
        var segment = view.Record.Id;
        var fenced = new TxnRequest();
        fenced.Compare.Add(Ops.ModRevisionIs(keys.Segment(segment), view.ModRevision));
        fenced.Success.Add(SegmentArchiving.DeleteRange(keys.BatchPrefix(segment)));
        try
        {
            await context.Etcd.TxnAsync(fenced, cancellationToken).ConfigureAwait(false);
            return; // a lost compare means another node moved the segment on: the next round follows it
        }
        catch (EtcdNoSpaceException)
        {
            // Once its file is over the quota, etcd refuses even delete-only Txns at its front door; a plain
            // DeleteRange has no quota check at all.
        }
        var batches = keys.BatchPrefix(segment);
        await context.Etcd.DeleteRangeAsync(new DeleteRangeRequest { Key = Ops.Bytes(batches), RangeEnd = Ops.Bytes(KeyLayout.PrefixEnd(batches)) }, cancellationToken).ConfigureAwait(false);
    }
}
