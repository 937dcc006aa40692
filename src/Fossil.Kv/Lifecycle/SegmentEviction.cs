using Etcdserverpb;
using Fossil.Kv.Keyspace;
using Fossil.Kv.Segments;
using Fossil.Kv.Streams;

namespace Fossil.Kv.Lifecycle;

/// <summary>
/// Sealed → Expiring → Dropped. Each step is a compare-and-swap on the segment record, idempotent, and
/// safe to repeat after a crash. Dropping is a constant number of operations whatever the segment's size:
/// one directory removed, one key range deleted, one record deleted, in one Txn for the keys.
/// </summary>
internal sealed class SegmentEviction(StoreContext context, SegmentCatalog catalog, LocalSegments local)
{
    private const int PageSize = 1000;

    public async Task EvictAsync(SegmentId segment, CancellationToken cancellationToken)
    {
        var keys = context.Keys;
        while (true)
        {
            var found = await catalog.ReadSegmentsAsync([segment], cancellationToken).ConfigureAwait(false);
            if (found.Count == 0) break; // already dropped
            var view = found[0];
            switch (view.Record.Status)
            {
                case SegmentStatus.Active:
                    throw new SegmentStateException(segment, $"Segment {segment} is active; seal it before evicting it.");
                case SegmentStatus.Sealed:
                    await TransitionAsync(view, view.Record with { Status = SegmentStatus.Expiring }, cancellationToken).ConfigureAwait(false);
                    continue;
                case SegmentStatus.Expiring:
                    await KeepDormantStreamVersionsAsync(segment, cancellationToken).ConfigureAwait(false);
                    local.Drop(segment);
                    var drop = new TxnRequest();
                    drop.Compare.Add(Ops.ModRevisionIs(keys.Segment(segment), view.ModRevision));
                    var data = keys.SegmentData(segment);
                    drop.Success.Add(new RequestOp { RequestDeleteRange = new DeleteRangeRequest { Key = Ops.Bytes(data), RangeEnd = Ops.Bytes(KeyLayout.PrefixEnd(data)) } });
                    drop.Success.Add(new RequestOp { RequestDeleteRange = new DeleteRangeRequest { Key = Ops.Bytes(keys.Segment(segment)) } });
                    await context.Etcd.TxnAsync(drop, cancellationToken).ConfigureAwait(false);
                    continue;
                default:
                    return;
            }
        }
        local.Drop(segment);
    }

    private async Task TransitionAsync(SegmentView view, SegmentRecord next, CancellationToken cancellationToken)
    {
        var key = context.Keys.Segment(view.Record.Id);
        var txn = new TxnRequest();
        txn.Compare.Add(Ops.ModRevisionIs(key, view.ModRevision));
        txn.Success.Add(Ops.Put(key, next.ToJsonBytes()));
        await context.Etcd.TxnAsync(txn, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Streams whose last event is in the expiring segment would lose their version with it: record it in
    /// their heads first. Only streams idle since this segment are touched; one that moved on is skipped.
    /// </summary>
    private async Task KeepDormantStreamVersionsAsync(SegmentId segment, CancellationToken cancellationToken)
    {
        var keys = context.Keys;
        var prefix = keys.EntriesPrefix(segment);
        var end = KeyLayout.PrefixEnd(prefix);
        var last = new Dictionary<string, long>(StringComparer.Ordinal);
        var from = prefix;
        while (true)
        {
            var page = await context.Etcd.RangeAsync(Ops.Range(from, end, PageSize, keysOnly: true), cancellationToken).ConfigureAwait(false);
            foreach (var kv in page.Kvs)
                if (keys.TryParseStreamEntry(kv.Key.Span, out _, out var stream, out var version)) last[stream] = version;
            if (!page.More || page.Kvs.Count == 0) break;
            from = [.. page.Kvs[^1].Key.Span, 0];
        }
        foreach (var (stream, version) in last)
        {
            var headKey = keys.StreamHead(stream);
            var response = await context.Etcd.GetAsync(Ops.Bytes(headKey), cancellationToken).ConfigureAwait(false);
            if (response.Kvs.Count == 0) continue;
            var head = StreamHead.FromJsonBytes(response.Kvs[0].Value.Span);
            if (head.LastSegment != segment || head.Segments[^1].FinalVersion is not null) continue;
            var kept = new StreamHead([.. head.Segments.SkipLast(1), head.Segments[^1] with { FinalVersion = version }]);
            var txn = new TxnRequest();
            txn.Compare.Add(Ops.ModRevisionIs(headKey, response.Kvs[0].ModRevision));
            txn.Success.Add(Ops.Put(headKey, kept.ToJsonBytes()));
            // A lost compare means the stream moved on meanwhile: its version then lives in a newer segment.
            await context.Etcd.TxnAsync(txn, cancellationToken).ConfigureAwait(false);
            context.Tips.Forget(stream);
        }
    }
}
