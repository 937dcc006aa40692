using Etcdserverpb;
using Fossil.Kv.Keyspace;
using Fossil.Kv.Records;
using Fossil.Kv.Segments;

namespace Fossil.Kv.Streams;

/// <summary>Reads a stream's tip from etcd: its head, then the last entry in the head's last segment.</summary>
internal static class StreamTipLoader
{
    private const int PageSize = 1000;

    public static async Task<StreamTip> LoadAsync(StoreContext context, string stream, CancellationToken cancellationToken)
    {
        var keys = context.Keys;
        var headResponse = await context.Etcd.GetAsync(Ops.Bytes(keys.StreamHead(stream)), cancellationToken).ConfigureAwait(false);
        if (headResponse.Kvs.Count == 0)
        {
            var none = StreamTip.None;
            context.Tips.Put(stream, none);
            return none;
        }
        var headKv = headResponse.Kvs[0];
        var head = StreamHead.FromJsonBytes(headKv.Value.Span);
        var last = head.LastSegment;
        StreamTip tip;
        if (head.Segments[^1].FinalVersion is { } final)
        {
            // The stream's last segment expired: its version was kept in the head when it did.
            tip = new StreamTip(final, head, headKv.ModRevision, null, 0);
        }
        else
        {
            var (entry, revision) = await ReadLastEntryAsync(context, last, stream, head.Segments[^1].FirstVersion, cancellationToken).ConfigureAwait(false)
                ?? throw new InvalidOperationException($"Stream '{stream}' lists segment {last}, which holds none of its entries in etcd.");
            tip = new StreamTip(entry.LastVersion, head, headKv.ModRevision, entry, revision);
        }
        context.Tips.Put(stream, tip);
        return tip;
    }

    /// <summary>The stream's last entry in <paramref name="segment"/> at or after <paramref name="fromVersion"/>, with its commit revision.</summary>
    public static async Task<(StreamEntry Entry, long Revision)?> ReadLastEntryAsync(
        StoreContext context, SegmentId segment, string stream, long fromVersion, CancellationToken cancellationToken)
    {
        var keys = context.Keys;
        var end = KeyLayout.PrefixEnd(keys.StreamEntriesPrefix(segment, stream));
        var from = keys.StreamEntry(segment, stream, Math.Max(0, fromVersion));
        Mvccpb.KeyValue? lastKv = null;
        while (true)
        {
            // Ascending pages: etcd applies a limit only to unsorted ranges; a descending sort would read them all.
            var page = await context.Etcd.RangeAsync(Ops.Range(from, end, PageSize), cancellationToken).ConfigureAwait(false);
            if (page.Kvs.Count > 0) lastKv = page.Kvs[^1];
            if (!page.More || page.Kvs.Count == 0) break;
            from = [.. lastKv!.Key.Span, 0];
        }
        return lastKv is null ? null : (StreamEntry.Parser.ParseFrom(lastKv.Value), lastKv.ModRevision);
    }
}
