using System.Runtime.CompilerServices;
using Etcdserverpb;
using Fossil.Kv.Keyspace;
using Fossil.Kv.Reads;
using Fossil.Kv.Records;
using Fossil.Kv.Segments;
using Fossil.Kv.Streams;

namespace Fossil.Kv;

/// <summary>Which way a stream read goes.</summary>
public enum Direction
{
    /// <summary>Oldest first: ascending versions.</summary>
    Forwards,

    /// <summary>Newest first: descending versions.</summary>
    Backwards,
}

/// <summary>A stream's current version and the segments it has events in (oldest first).</summary>
/// <param name="Stream">The stream's name.</param>
/// <param name="Version">The version of the stream's last event.</param>
/// <param name="Segments">The retained segments that hold the stream's events, oldest first.</param>
public sealed record StreamInfo(string Stream, long Version, IReadOnlyList<StreamSegmentRef> Segments);

public sealed partial class EventStore
{
    private const int ReadPageSize = 256;

    /// <summary>The stream's last version and its segments.</summary>
    /// <exception cref="StreamNotFoundException">The stream has no events.</exception>
    public async Task<StreamInfo> GetStreamAsync(string streamName, CancellationToken cancellationToken = default)
    {
        StreamName.EnsureValid(streamName);
        await EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        var tip = await StreamTipLoader.LoadAsync(_context, streamName, cancellationToken).ConfigureAwait(false);
        if (!tip.Exists || tip.Head is null) throw new StreamNotFoundException(streamName);
        // The head still names segments that retention dropped; show only those that hold events now.
        var present = await _catalog.ReadSegmentsAsync([.. tip.Head.Segments.Select(s => SegmentId.Parse(s.Segment))], cancellationToken).ConfigureAwait(false);
        var live = present.Select(p => p.Record.SegmentId).ToHashSet(StringComparer.Ordinal);
        return new StreamInfo(streamName, tip.LastVersion, [.. tip.Head.Segments.Where(s => live.Contains(s.Segment))]);
    }

    /// <summary>
    /// Reads a stream from <paramref name="fromVersion"/> (inclusive) forwards or backwards. Without one, a
    /// forward read starts at the first event and a backward read at the last (as KurrentDB's
    /// <c>StreamPosition.Start</c> and <c>End</c>); <c>-1</c> also means the end for a backward read. Throws
    /// <see cref="StreamNotFoundException"/> on enumeration when the stream has no events.
    /// </summary>
    public IAsyncEnumerable<RecordedEvent> ReadStreamAsync(
        string streamName,
        Direction direction = Direction.Forwards,
        long? fromVersion = null,
        long maxCount = long.MaxValue,
        CancellationToken cancellationToken = default) =>
        CallTimer.Timed(ReadStreamCoreAsync(streamName, direction, fromVersion, maxCount, cancellationToken), StoreMetrics.ReadSeconds, StoreMetrics.ReadKindStream, cancellationToken);

    /// <summary>
    /// <see cref="ReadStreamAsync(string, Direction, long?, long, CancellationToken)"/> with the direction first, in the
    /// order of KurrentDB's <c>ReadStreamAsync(direction, streamName, revision, ...)</c>, so ported calls read as they did.
    /// </summary>
    public IAsyncEnumerable<RecordedEvent> ReadStreamAsync(
        Direction direction,
        string streamName,
        long? fromVersion = null,
        long maxCount = long.MaxValue,
        CancellationToken cancellationToken = default) =>
        ReadStreamAsync(streamName, direction, fromVersion, maxCount, cancellationToken);

    private async IAsyncEnumerable<RecordedEvent> ReadStreamCoreAsync(
        string streamName, Direction direction, long? fromVersion, long maxCount, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        StreamName.EnsureValid(streamName);
        if (maxCount <= 0) yield break;
        await EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        var (head, revision) = await ReadStreamHeadAsync(streamName, cancellationToken).ConfigureAwait(false);
        if (head is null) throw new StreamNotFoundException(streamName);
        var from = fromVersion ?? (direction == Direction.Forwards ? 0 : -1);
        await foreach (var e in ReadStreamAtAsync(streamName, head, direction, from, maxCount, revision, cancellationToken).ConfigureAwait(false))
            yield return e;
    }

    /// <summary>The stream's head (null when the stream does not exist) and the revision it was read at.</summary>
    private async Task<(StreamHead? Head, long Revision)> ReadStreamHeadAsync(string streamName, CancellationToken cancellationToken)
    {
        var response = await _context.Etcd.GetAsync(Ops.Bytes(_context.Keys.StreamHead(streamName)), cancellationToken).ConfigureAwait(false);
        return (response.Kvs.Count == 0 ? null : StreamHead.FromJsonBytes(response.Kvs[0].Value.Span), response.Header.Revision);
    }

    /// <summary>Reads a stream as of one revision, so that pages and segments agree with each other.</summary>
    private async IAsyncEnumerable<RecordedEvent> ReadStreamAtAsync(
        string streamName, StreamHead head, Direction direction, long fromVersion, long maxCount, long revision,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var left = maxCount;
        var forwards = direction == Direction.Forwards;
        if (forwards && fromVersion < 0) fromVersion = 0;
        // Only segments that can hold versions at or after (forwards) / at or before (backwards) fromVersion.
        var segments = forwards
            ? head.Segments.Where((s, i) => i == head.Segments.Count - 1 || head.Segments[i + 1].FirstVersion > fromVersion)
            : head.Segments.Reverse().Where(s => fromVersion < 0 || s.FirstVersion <= fromVersion);
        foreach (var segmentRef in segments)
        {
            var segment = SegmentId.Parse(segmentRef.Segment);
            if (await _local.GetOrFetchAsync(segment, expectedChecksum: null, cancellationToken).ConfigureAwait(false) is { } files)
            {
                var decoder = new RecordDecoder();
                var segmentName = segmentRef.Segment;
                foreach (var document in files.ReadStream(streamName, fromVersion < 0 ? long.MaxValue : fromVersion, direction))
                {
                    yield return decoder.Decode(document.Record.Span, segmentName, document.SegmentPosition, document.CommitRevision);
                    if (--left == 0) yield break;
                }
                continue;
            }
            await foreach (var e in ReadStreamSegmentAsync(segment, streamName, direction, fromVersion, revision, cancellationToken).ConfigureAwait(false))
            {
                yield return e;
                if (--left == 0) yield break;
            }
        }
    }

    private async IAsyncEnumerable<RecordedEvent> ReadStreamSegmentAsync(
        SegmentId segment, string stream, Direction direction, long fromVersion, long revision, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var keys = _context.Keys;
        var prefix = keys.StreamEntriesPrefix(segment, stream);
        var end = KeyLayout.PrefixEnd(prefix);
        var forwards = direction == Direction.Forwards;
        // Entries are keyed by their last version, so the first entry holding fromVersion is the first key >= fromVersion.
        var from = forwards ? keys.StreamEntry(segment, stream, fromVersion) : prefix;
        var to = end;
        if (!forwards && fromVersion >= 0)
        {
            // Entries are keyed by their last version: the entry holding fromVersion is the first key at or after it.
            var holding = Ops.Range(keys.StreamEntry(segment, stream, fromVersion), end, limit: 1, keysOnly: true);
            holding.Revision = revision;
            var found = await _context.Etcd.RangeAsync(holding, cancellationToken).ConfigureAwait(false);
            if (found.Kvs.Count > 0) to = [.. found.Kvs[0].Key.Span, 0];
        }
        while (true)
        {
            var request = Ops.Range(from, to, ReadPageSize);
            request.Revision = revision;
            if (!forwards) request.SortOrder = RangeRequest.Types.SortOrder.Descend;
            var page = await _context.Etcd.RangeAsync(request, cancellationToken).ConfigureAwait(false);
            if (page.Kvs.Count == 0) yield break;
            var entries = page.Kvs.Select(kv => StreamEntry.Parser.ParseFrom(kv.Value)).ToArray();
            var batches = await ReadBatchesAsync(segment, entries.Select(e => e.BatchPosition), revision, cancellationToken).ConfigureAwait(false);

            // A backward read whose upper bound falls inside an entry must still start at fromVersion.
            foreach (var entry in entries)
            {
                var (batch, batchRevision) = batches[entry.BatchPosition];
                var count = (int)(entry.LastVersion - entry.FirstVersion + 1);
                for (var i = 0; i < count; i++)
                {
                    var k = forwards ? i : count - 1 - i;
                    var version = entry.FirstVersion + k;
                    if (forwards ? version < fromVersion : fromVersion >= 0 && version > fromVersion) continue;
                    var record = batch.Events.First(e => e.Index == entry.FirstIndex + k);
                    yield return EventDecoding.ToRecordedEvent(record, segment, entry.BatchPosition, batchRevision);
                }
            }
            if (!page.More) yield break;
            if (forwards) from = [.. page.Kvs[^1].Key.Span, 0];
            else to = page.Kvs[^1].Key.ToByteArray();
        }
    }

    /// <summary>The batches at these positions of a segment, with their commit revisions, in one round trip per 128.</summary>
    private async Task<Dictionary<long, (Batch Batch, long Revision)>> ReadBatchesAsync(
        SegmentId segment, IEnumerable<long> positions, long revision, CancellationToken cancellationToken)
    {
        var result = new Dictionary<long, (Batch, long)>();
        foreach (var chunk in positions.Distinct().Chunk(Appends.AppendLimits.MaxTxnOps))
        {
            var txn = new TxnRequest();
            foreach (var position in chunk)
            {
                var get = new RangeRequest { Key = Ops.Bytes(_context.Keys.Batch(segment, position)), Revision = revision };
                txn.Success.Add(new RequestOp { RequestRange = get });
            }
            var response = await _context.Etcd.TxnAsync(txn, cancellationToken).ConfigureAwait(false);
            for (var i = 0; i < chunk.Length; i++)
            {
                var kvs = response.Responses[i].ResponseRange.Kvs;
                if (kvs.Count == 0) throw new InvalidOperationException($"Batch {chunk[i]} of segment {segment} is referenced by a stream entry but missing from etcd.");
                result[chunk[i]] = (Batch.Parser.ParseFrom(kvs[0].Value), kvs[0].ModRevision);
            }
        }
        return result;
    }
}
