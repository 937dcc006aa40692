using Etcdserverpb;
using Fossil.Kv.Keyspace;
using Fossil.Kv.Records;
using Fossil.Kv.Segments;
using Fossil.Kv.Streams;

namespace Fossil.Kv.Lifecycle;

/// <summary>
/// Before a sealed segment's entry keys leave etcd (archived or evicted), streams whose last event is in it get
/// that version recorded in their heads (<see cref="StreamSegmentRef.FinalVersion"/>). Their version then survives,
/// and the head's new mod revision fences out appends planned on a tip cached before: such an append compares the
/// head's mod revision, because with the keys gone nothing else could tell it the stream has moved on.
/// </summary>
internal static class DormantStreams
{
    private const int PageSize = 1000;

    /// <summary>
    /// Records the final versions. Only streams idle since the segment are touched (one head each); a stream that
    /// moved on meanwhile is skipped. Idempotent; once the keys are gone there is nothing left to do.
    /// </summary>
    public static async Task KeepVersionsAsync(StoreContext context, SegmentId segment, CancellationToken cancellationToken)
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
            // The last append's entry goes into the head too, so that a late re-send of it is still answered as a repeat.
            var entryResponse = await context.Etcd.GetAsync(Ops.Bytes(keys.StreamEntry(segment, stream, version)), cancellationToken).ConfigureAwait(false);
            var finalAppend = entryResponse.Kvs.Count > 0
                ? FinalAppend.Of(StreamEntry.Parser.ParseFrom(entryResponse.Kvs[0].Value), entryResponse.Kvs[0].ModRevision)
                : null;
            var kept = new StreamHead([.. head.Segments.SkipLast(1), head.Segments[^1] with { FinalVersion = version, FinalAppend = finalAppend }]);
            var txn = new TxnRequest();
            txn.Compare.Add(Ops.ModRevisionIs(headKey, response.Kvs[0].ModRevision));
            txn.Success.Add(Ops.Put(headKey, kept.ToJsonBytes()));
            // A lost compare means the stream moved on meanwhile: its version then lives in a newer segment.
            await context.Etcd.TxnAsync(txn, cancellationToken).ConfigureAwait(false);
            context.Tips.Forget(stream);
        }
    }
}
