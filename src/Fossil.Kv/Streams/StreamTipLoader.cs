using Etcdserverpb;
using Fossil.Kv.Keyspace;
using Fossil.Kv.Records;
using Fossil.Kv.SegmentFiles;
using Fossil.Kv.Segments;

namespace Fossil.Kv.Streams;

/// <summary>Reads a stream's tip from etcd: its head, then the last entry in the head's last segment.</summary>
internal static class StreamTipLoader
{
    /// <summary>Entries read with their values in the first read of a stream's range: all of them for most streams.</summary>
    private const int FirstPageSize = 64;

    /// <summary>Probes aimed by the density seen so far before the search falls back to galloping and bisecting.</summary>
    private const int InterpolatedProbes = 4;

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
                // The stream's last segment left etcd (archived or evicted) and its version was kept in the head. A retry
                // of its last append stays idempotent: while the segment's files exist (archived) they tell the event ids
                // of the appends committed last, and once they are gone (evicted) the head kept the last append's entry.
                var files = await context.Local.GetOrFetchAsync(last, expectedChecksum: null, cancellationToken).ConfigureAwait(false);
                tip = files is not null && LastEntryIn(files, stream) is { } kept && kept.Entry.LastVersion == final
                    ? new StreamTip(final, head, headKv.ModRevision, kept.Entry, kept.Revision)
                    : head.Segments[^1].FinalAppend is { } finalAppend && finalAppend.LastVersion == final
                        ? new StreamTip(final, head, headKv.ModRevision, finalAppend.ToEntry(), finalAppend.Revision)
                        : new StreamTip(final, head, headKv.ModRevision, null, 0);
            }
            else if (await ReadLastEntryAsync(context, last, stream, SearchFrom(context, stream, head), cancellationToken).ConfigureAwait(false) is var (entry, revision))
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
    /// Where the stream's last entry in the head's last segment is searched from: the process's cached tip when it is
    /// in that segment (tips lag, never lead, and its entry stays until the segment leaves etcd), else the segment's
    /// first version. etcd 3.4 walks a range to its end to count it however small the limit, so starting near the end
    /// keeps a reload of a long stream from walking all of its entries.
    /// </summary>
    private static long SearchFrom(StoreContext context, string stream, StreamHead head)
    {
        var first = head.Segments[^1].FirstVersion;
        return context.Tips.Get(stream) is { } cached && cached.LastSegment == head.LastSegment && cached.LastVersion > first ? cached.LastVersion : first;
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
    /// applies a limit only to unsorted ranges (a descending sort reads the whole range), so: one small ascending
    /// page, which is the whole range for most streams; past that, probes of one entry each — "the first entry at or
    /// after version v, and how many are there from it" (etcd counts the whole range however small the limit) — aimed
    /// where the last entry would be if the rest of the stream is as dense as what was seen, which lands on it in one
    /// or two probes when appends are of similar sizes, then bisecting. A stream with n entries in the segment costs a
    /// few small reads, never a read of all n.
    /// </remarks>
    public static async Task<(StreamEntry Entry, long Revision)?> ReadLastEntryAsync(
        StoreContext context, SegmentId segment, string stream, long fromVersion, CancellationToken cancellationToken)
    {
        var keys = context.Keys;
        var prefix = keys.StreamEntriesPrefix(segment, stream);
        var end = KeyLayout.PrefixEnd(prefix);
        var page = await context.Etcd.RangeAsync(Ops.Range(keys.StreamEntry(segment, stream, Math.Max(0, fromVersion)), end, FirstPageSize), cancellationToken).ConfigureAwait(false);
        if (page.Kvs.Count == 0) return null;
        var lastKv = page.More ? await FindLastAsync(context, prefix, end, page, cancellationToken).ConfigureAwait(false) : page.Kvs[^1];
        // Null: deleted since the first page (archived or evicted); the caller reads the head again.
        return lastKv is null ? null : (StreamEntry.Parser.ParseFrom(lastKv.Value), lastKv.ModRevision);
    }

    /// <summary>The last entry of [prefix, end), given a first page of it that has more after it.</summary>
    private static async Task<Mvccpb.KeyValue?> FindLastAsync(StoreContext context, byte[] prefix, byte[] end, RangeResponse firstPage, CancellationToken cancellationToken)
    {
        // Invariant: the entry at `low` exists and `remaining` entries (itself included) were at or after it when last
        // read; no entry was at or after `high`. Entries only join at the end: a bound that went stale meanwhile makes the
        // answer the last entry of a moment ago, as any read of a stream being appended to is.
        var seen = firstPage.Kvs.Count;
        var low = VersionOf(firstPage.Kvs[^1].Key.Span, prefix.Length);
        var remaining = firstPage.Count - seen + 1;
        var versionsPerEntry = Math.Max(1.0, (double)(low - VersionOf(firstPage.Kvs[0].Key.Span, prefix.Length)) / (seen - 1));
        long? high = null;
        for (var probe = 0; ; probe++)
        {
            if (high is { } bound && bound <= low + 1)
            {
                // Nothing after `low` any more: it is the last entry.
                var found = await context.Etcd.GetAsync(Ops.Bytes(EntryKey(prefix, low)), cancellationToken).ConfigureAwait(false);
                return found.Kvs.Count > 0 ? found.Kvs[0] : null;
            }
            var aimed = low + (long)Math.Ceiling((remaining - 1) * versionsPerEntry);
            var at = (high, probe < InterpolatedProbes) switch
            {
                (null, true) => aimed,
                (null, false) => low + ((aimed - low) << Math.Min(probe - InterpolatedProbes + 1, 20)), // gallop past the end
                ({ } h, true) when aimed < h => aimed,
                ({ } h, _) => low + ((h - low) / 2),
            };
            at = Math.Clamp(at, low + 1, StreamState.MaxVersion + 1);
            var response = await context.Etcd.RangeAsync(Ops.Range(EntryKey(prefix, at), end, limit: 1), cancellationToken).ConfigureAwait(false);
            if (response.Kvs.Count == 0)
            {
                high = at;
                continue;
            }
            if (!response.More) return response.Kvs[0];
            var version = VersionOf(response.Kvs[0].Key.Span, prefix.Length);
            var passed = remaining - response.Count;
            if (passed > 0) versionsPerEntry = Math.Max(1.0, (double)(version - low) / passed);
            low = version;
            remaining = response.Count;
        }
    }

    private static byte[] EntryKey(byte[] prefix, long version) => [.. prefix, .. System.Text.Encoding.ASCII.GetBytes(KeyLayout.Number(version))];

    private static long VersionOf(ReadOnlySpan<byte> key, int prefixLength) =>
        long.Parse(key[prefixLength..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture);
}
