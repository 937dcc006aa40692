using Etcdserverpb;
using Fossil.Kv.Keyspace;
using Fossil.Kv.Segments;

namespace Fossil.Kv.Lifecycle;

/// <summary>
/// Sealed segment → archived (ADR 0006): its verified files are published to <c>segment.archive</c>, the record
/// notes the copy by compare-and-swap, dormant streams keep their versions in their heads, and only then are
/// the segment's event keys deleted, in one Txn fenced on the record so it cannot race eviction. Every step
/// re-reads the record and continues from what it finds, so a crash anywhere is finished by the next round.
/// </summary>
internal sealed class SegmentArchiving(StoreContext context, SegmentCatalog catalog, LocalSegments local)
{
    /// <summary>Takes the segment as far as it goes: true when it is archived and its keys are out of etcd.</summary>
    /// <exception cref="SegmentStateException">The segment is active.</exception>
    public async Task<bool> ArchiveAsync(SegmentId segment, CancellationToken cancellationToken)
    {
        if (local.ArchiveRoot is null) throw new InvalidOperationException("No segment.archive is configured on this node.");
        var keys = context.Keys;
        while (true)
        {
            var found = await catalog.ReadSegmentsAsync([segment], cancellationToken).ConfigureAwait(false);
            if (found.Count == 0) return false; // dropped
            var view = found[0];
            if (view.Record.Status == SegmentStatus.Active)
                throw new SegmentStateException(segment, $"Segment {segment} is active; seal it before archiving it.");
            if (view.Record.Status != SegmentStatus.Sealed) return false; // on its way out: eviction owns it now

            if (!view.Record.IsArchived)
            {
                var settings = await catalog.GetSettingsAsync(cancellationToken).ConfigureAwait(false);
                await local.MaterializeAsync(view, settings, cancellationToken).ConfigureAwait(false);
                var (directory, checksum) = await local.PublishToArchiveAsync(segment, cancellationToken).ConfigureAwait(false);
                var record = keys.Segment(segment);
                var note = new TxnRequest();
                note.Compare.Add(Ops.ModRevisionIs(record, view.ModRevision));
                note.Success.Add(Ops.Put(record, (view.Record with { ArchivedAt = directory, ArchiveChecksum = checksum }).ToJsonBytes()));
                await context.Etcd.TxnAsync(note, cancellationToken).ConfigureAwait(false);
                continue; // won or lost, the record says what happens next
            }

            var data = keys.SegmentData(segment);
            var remaining = await context.Etcd.RangeAsync(Ops.Range(data, KeyLayout.PrefixEnd(data), limit: 1, keysOnly: true), cancellationToken).ConfigureAwait(false);
            if (remaining.Kvs.Count == 0)
            {
                local.MarkArchiveComplete(segment);
                return true;
            }
            await DormantStreams.KeepVersionsAsync(context, segment, cancellationToken).ConfigureAwait(false);
            var delete = new TxnRequest();
            delete.Compare.Add(Ops.ModRevisionIs(keys.Segment(segment), view.ModRevision));
            delete.Success.Add(DeleteRange(keys.BatchPrefix(segment)));
            delete.Success.Add(DeleteRange(keys.EntriesPrefix(segment)));
            if ((await context.Etcd.TxnAsync(delete, cancellationToken).ConfigureAwait(false)).Succeeded)
            {
                Log.SegmentArchived(context.Logger, segment, view.Record.ArchivedAt!);
                local.MarkArchiveComplete(segment);
                return true;
            }
        }
    }

    internal static RequestOp DeleteRange(byte[] prefix) =>
        new() { RequestDeleteRange = new DeleteRangeRequest { Key = Ops.Bytes(prefix), RangeEnd = Ops.Bytes(KeyLayout.PrefixEnd(prefix)) } };
}
