using Etcdserverpb;
using Fossil.Kv.Keyspace;
using Fossil.Kv.Records;
using Fossil.Kv.SegmentFiles;
using Fossil.Kv.Segments;

namespace Fossil.Kv.Streams;

/// <summary>Reads a stream's tip from etcd: its head, then the last entry in the head's last segment.</summary>
internal static class StreamTipLoader
{
    private const int PageSize = 1000;

    public static async Task<StreamTip> LoadAsync(StoreContext context, string stream, CancellationToken cancellationToken)
    {
        var keys = context.Keys;
        for (var attempt = 1; ; attempt++)
        {
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
                // The stream's last segment left etcd (archived or evicted) and its version was kept in the head. While
                // the segment's files exist, they still tell the last append's event ids, so a retry of it stays idempotent.
                var files = await context.Local.GetOrFetchAsync(last, expectedChecksum: null, cancellationToken).ConfigureAwait(false);
                tip = files is not null && LastEntryIn(files, stream) is { } kept && kept.Entry.LastVersion == final
                    ? new StreamTip(final, head, headKv.ModRevision, kept.Entry, kept.Revision)
                    : new StreamTip(final, head, headKv.ModRevision, null, 0);
            }
            else if (await ReadLastEntryAsync(context, last, stream, head.Segments[^1].FirstVersion, cancellationToken).ConfigureAwait(false) is var (entry, revision))
            {
                tip = new StreamTip(entry.LastVersion, head, headKv.ModRevision, entry, revision);
            }
            else if (attempt < 3)
            {
                // The entries left etcd between the two reads: the head names the final version by now.
                continue;
            }
            else
            {
                throw new InvalidOperationException($"Stream '{stream}' lists segment {last}, which holds none of its entries in etcd.");
            }
            context.Tips.Put(stream, tip);
            return tip;
        }
    }

    /// <summary>
    /// The stream's last append as far as a sealed segment's files tell it: its trailing events of one commit. Two
    /// appends to one stream in one transaction read as one here (files keep events, not entries).
    /// </summary>
    private static (StreamEntry Entry, long Revision)? LastEntryIn(SegmentFileSet files, string stream)
    {
        if (!files.TryGetStream(stream, out _, out var lastVersion)) return null;
        long revision = 0;
        var count = 0;
        foreach (var document in files.ReadStream(stream, lastVersion, Direction.Backwards))
        {
            if (revision == 0) revision = document.CommitRevision;
            else if (document.CommitRevision != revision) break;
            count++;
        }
        return EntryIn(files, stream, lastVersion - count + 1, count);
    }

    /// <summary>
    /// An entry for the <paramref name="count"/> events of the stream from <paramref name="firstVersion"/> in a sealed
    /// segment's files, when they exist and were committed together; the batch key it names is gone from etcd with them.
    /// </summary>
    public static (StreamEntry Entry, long Revision)? EntryIn(SegmentFileSet files, string stream, long firstVersion, int count)
    {
        if (count <= 0 || firstVersion < 0) return null;
        var ids = new byte[16 * count];
        long revision = 0;
        var found = 0;
        var entry = new StreamEntry { FirstVersion = firstVersion, LastVersion = firstVersion + count - 1 };
        foreach (var document in files.ReadStream(stream, firstVersion))
        {
            if (found == count) break;
            if (found == 0) revision = document.CommitRevision;
            else if (document.CommitRevision != revision) return null;
            var record = EventRecord.Parser.ParseFrom(document.Record.Span);
            if (found == 0)
            {
                entry.FirstIndex = record.Index;
                entry.BatchPosition = document.SegmentPosition;
            }
            record.Id.Span.CopyTo(ids.AsSpan(16 * found));
            found++;
        }
        if (found != count) return null;
        entry.EventIds = Google.Protobuf.ByteString.CopyFrom(ids);
        return (entry, revision);
    }

    /// <summary>The stream's last entry in <paramref name="segment"/> at or after <paramref name="fromVersion"/>, with its commit revision.</summary>
    /// <remarks>
    /// Entry keys end in the entry's last version, so the last entry is the last key of the stream's range. etcd 3.4
    /// applies a limit only to unsorted ranges (a descending sort reads the whole range), so: one ascending page,
    /// which is the whole range for most streams; past that, keys-only probes of one key each — "the first entry
    /// at or after version v, and is there more?" — that gallop and then bisect to the last key, so a stream with
    /// n entries in the segment costs O(log n) small reads instead of reading all n.
    /// </remarks>
    public static async Task<(StreamEntry Entry, long Revision)?> ReadLastEntryAsync(
        StoreContext context, SegmentId segment, string stream, long fromVersion, CancellationToken cancellationToken)
    {
        var keys = context.Keys;
        var prefix = keys.StreamEntriesPrefix(segment, stream);
        var end = KeyLayout.PrefixEnd(prefix);
        var page = await context.Etcd.RangeAsync(Ops.Range(keys.StreamEntry(segment, stream, Math.Max(0, fromVersion)), end, PageSize), cancellationToken).ConfigureAwait(false);
        if (page.Kvs.Count == 0) return null;
        var lastKv = page.Kvs[^1];
        if (page.More)
        {
            var last = await FindLastKeyAsync(context, prefix, end, VersionOf(lastKv.Key.Span, prefix.Length), cancellationToken).ConfigureAwait(false);
            var found = await context.Etcd.GetAsync(Ops.Bytes(last), cancellationToken).ConfigureAwait(false);
            // Deleted since the probe (archived or evicted): the caller reads the head again.
            if (found.Kvs.Count == 0) return null;
            lastKv = found.Kvs[0];
        }
        return (StreamEntry.Parser.ParseFrom(lastKv.Value), lastKv.ModRevision);
    }

    /// <summary>The last key of [prefix, end), knowing an entry at version <paramref name="known"/> with more after it.</summary>
    private static async Task<byte[]> FindLastKeyAsync(StoreContext context, byte[] prefix, byte[] end, long known, CancellationToken cancellationToken)
    {
        // Invariant: an entry at or after `low` exists and is not the last; no entry is at or after `high`.
        var low = known;
        long? high = null;
        for (long step = PageSize; ; step = high is null ? step * 2 : step)
        {
            var at = high is { } h ? low + ((h - low) / 2) : low + step;
            if (at <= low) at = low + 1;
            var probe = Ops.Range(EntryKey(prefix, at), end, limit: 1, keysOnly: true);
            var response = await context.Etcd.RangeAsync(probe, cancellationToken).ConfigureAwait(false);
            if (response.Kvs.Count == 0)
            {
                high = at;
                continue;
            }
            var key = response.Kvs[0].Key.ToByteArray();
            if (!response.More) return key;
            low = VersionOf(key, prefix.Length);
        }
    }

    private static byte[] EntryKey(byte[] prefix, long version) => [.. prefix, .. System.Text.Encoding.ASCII.GetBytes(KeyLayout.Number(version))];

    private static long VersionOf(ReadOnlySpan<byte> key, int prefixLength) =>
        long.Parse(key[prefixLength..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture);
}
