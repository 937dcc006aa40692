using System.Security.Cryptography;
using Etcdserverpb;
using Fossil.Kv.Keyspace;
using Fossil.Kv.Records;
using Fossil.Kv.Segments;
using Fossil.Kv.Streams;
using Google.Protobuf;

namespace Fossil.Kv.Appends;

/// <summary>
/// One etcd transaction carrying the units of a batch (ADR 0005): compares on the window, on each
/// segment record and on each stream's entries or head; puts of one entry per append, one batch per
/// segment and the updated segment records; and failure-branch reads that tell, in the same round
/// trip, why a compare failed.
/// </summary>
internal sealed class AppendTransaction
{
    /// <summary>The most compares one append adds: a stream moving into a new segment checks its old segment, its head and the new segment.</summary>
    private const int MaxComparesPerPart = 4;

    private readonly StoreContext _context;
    private readonly WindowView _window;
    private readonly Dictionary<SegmentId, SegmentPlan> _segments = [];
    private readonly List<PartPlan> _parts = [];
    private readonly List<AppendUnit> _deferred = [];

    public AppendTransaction(StoreContext context, WindowView window, IEnumerable<SegmentView> records, IReadOnlyList<AppendUnit> units)
    {
        _context = context;
        _window = window;
        Units = units;
        foreach (var record in records) _segments[record.Record.Id] = new SegmentPlan(record);
        Request = Build();
    }

    /// <summary>Every unit given; those in <see cref="Deferred"/> are not in <see cref="Request"/>.</summary>
    public IReadOnlyList<AppendUnit> Units { get; }

    /// <summary>Units that could not chain after an earlier append to the same stream in this Txn; they go in the next one.</summary>
    public IReadOnlyList<AppendUnit> Deferred => _deferred;

    /// <summary>The units this Txn carries.</summary>
    public IEnumerable<AppendUnit> Sent => Units.Except(_deferred);

    public TxnRequest Request { get; }

    /// <summary>16 random bytes in every batch this Txn writes, so an unknown outcome can be told apart from another writer's batch.</summary>
    public ByteString BatchId { get; } = ByteString.CopyFrom(RandomNumberGenerator.GetBytes(16));

    public IEnumerable<SegmentView> Records => _segments.Values.Select(s => s.Record);

    /// <summary>The segments this Txn writes, for logs.</summary>
    public IReadOnlyCollection<SegmentId> SegmentNames => _segments.Keys;

    private KeyLayout Keys => _context.Keys;

    private TxnRequest Build()
    {
        var txn = new TxnRequest();
        var now = _context.UtcNow;
        var timestamp = (Math.Max(now.Ticks, _window.Record.Start.Ticks) - DateTime.UnixEpoch.Ticks) / TimeSpan.TicksPerMicrosecond;
        var index = 0;

        txn.Compare.Add(Ops.ModRevisionIs(Keys.Window, _window.ModRevision));
        foreach (var (id, segment) in _segments) txn.Compare.Add(Ops.ModRevisionIs(Keys.Segment(id), segment.Record.ModRevision));
        txn.Failure.Add(Ops.Get(Keys.Window));
        foreach (var (id, _) in _segments) txn.Failure.Add(Ops.Get(Keys.Segment(id)));

        // Streams already written by an earlier unit of this Txn: a later append to the same stream chains
        // after it (its version follows, and the earlier append's compares cover it) or waits for the next Txn.
        var chained = new Dictionary<string, (long LastVersion, StreamHead? Head, bool HeadWritten)>(StringComparer.Ordinal);
        foreach (var unit in Units)
        {
            // etcd takes at most 128 operations per list: keep room for the segments' own operations.
            var fits = txn.Compare.Count + MaxComparesPerPart * unit.Parts.Count + _segments.Count <= AppendLimits.MaxTxnOps
                && txn.Failure.Count + 2 * unit.Parts.Count <= AppendLimits.MaxTxnOps
                && txn.Success.Count + 2 * unit.Parts.Count + 2 * _segments.Count <= AppendLimits.MaxTxnOps;
            if (!unit.Parts.All(p => !chained.TryGetValue(p.Stream, out var c) || CanChain(p.Expected, c.LastVersion)) || !fits && _parts.Count > 0)
            {
                _deferred.Add(unit);
                continue;
            }
            foreach (var part in unit.Parts)
            {
                var segmentId = _window.SegmentFor(part.Stream);
                var segment = _segments[segmentId];
                var tip = _context.Tips.Get(part.Stream);
                var isChained = chained.TryGetValue(part.Stream, out var previous);
                var assumed = isChained ? previous.LastVersion : AssumedVersion(part, tip);
                var plan = new PartPlan(unit, part, segmentId, assumed, index);
                _parts.Add(plan);

                var entriesEnd = KeyLayout.PrefixEnd(Keys.StreamEntriesPrefix(segmentId, part.Stream));
                StreamHead? newHead = null;
                if (isChained)
                {
                    plan.ChainedHead = previous.Head;
                }
                else if (assumed < 0)
                {
                    txn.Compare.Add(Ops.Missing(Keys.StreamHead(part.Stream)));
                    newHead = new StreamHead([new StreamSegmentRef(segmentId.ToString(), 0)]);
                }
                else if (tip?.Head is { } head && head.LastSegment != segmentId)
                {
                    // The stream's entries so far are in an earlier segment, which is sealed now but may not have been
                    // when the tip was cached: check the version there, fence a concurrent move with the head, and
                    // require the stream to have no entry yet in this segment.
                    var earlier = head.LastSegment;
                    var earlierEnd = KeyLayout.PrefixEnd(Keys.StreamEntriesPrefix(earlier, part.Stream));
                    txn.Compare.Add(Ops.NoKeysIn(Keys.StreamEntry(earlier, part.Stream, assumed + 1), earlierEnd));
                    if (assumed > tip.LastVersion) txn.Compare.Add(Ops.Exists(Keys.StreamEntry(earlier, part.Stream, assumed)));
                    txn.Compare.Add(Ops.ModRevisionIs(Keys.StreamHead(part.Stream), tip.HeadModRevision));
                    txn.Compare.Add(Ops.NoKeysIn(Keys.StreamEntriesPrefix(segmentId, part.Stream), entriesEnd));
                    newHead = head.With(segmentId, assumed + 1);
                }
                else
                {
                    txn.Compare.Add(Ops.NoKeysIn(Keys.StreamEntry(segmentId, part.Stream, assumed + 1), entriesEnd));
                    if (tip is null || assumed > tip.LastVersion) txn.Compare.Add(Ops.Exists(Keys.StreamEntry(segmentId, part.Stream, assumed)));
                }
                plan.NewHead = newHead;
                plan.HeadWrittenInTxn = newHead is not null || isChained && previous.HeadWritten;
                chained[part.Stream] = (assumed + part.Events.Length, newHead ?? (isChained ? previous.Head : tip?.Head), plan.HeadWrittenInTxn);

                var entry = new StreamEntry
                {
                    FirstVersion = assumed + 1,
                    LastVersion = assumed + part.Events.Length,
                    FirstIndex = index,
                };
                var ids = new byte[16 * part.Events.Length];
                for (var i = 0; i < part.Events.Length; i++)
                {
                    var e = part.Events[i];
                    e.Version = assumed + 1 + i;
                    e.Index = index++;
                    e.TimestampUs = timestamp;
                    e.Id.Span.CopyTo(ids.AsSpan(16 * i));
                    segment.Events.Add(e);
                    segment.Bytes += e.CalculateSize();
                    if (e.Vector.Count > 0) segment.Vectors++;
                }
                entry.EventIds = UnsafeByteOperations.UnsafeWrap(ids);
                plan.Entry = entry;
                segment.Entries.Add((part.Stream, entry));
                if (newHead is not null) txn.Success.Add(Ops.Put(Keys.StreamHead(part.Stream), newHead.ToJsonBytes()));

                txn.Failure.Add(Ops.Get(Keys.StreamHead(part.Stream)));
                txn.Failure.Add(Ops.RangeOp(Keys.StreamEntry(segmentId, part.Stream, assumed + 1), entriesEnd, limit: 2));
            }
        }

        foreach (var (id, segment) in _segments)
        {
            if (segment.Events.Count == 0) continue;
            segment.BatchPosition = segment.Record.ModRevision * Position.IndexLimit + segment.Events[0].Index;
            foreach (var (stream, entry) in segment.Entries)
            {
                entry.BatchPosition = segment.BatchPosition;
                txn.Success.Add(Ops.Put(Keys.StreamEntry(id, stream, entry.LastVersion), entry.ToByteArray()));
            }
            var batch = new Batch { BatchId = BatchId, PreviousPosition = segment.Record.Record.LastBatchPosition };
            batch.Events.AddRange(segment.Events);
            txn.Success.Add(Ops.Put(Keys.Batch(id, segment.BatchPosition), batch.ToByteString()));
            var record = segment.Record.Record;
            segment.Updated = record with
            {
                DocumentCount = record.DocumentCount + segment.Events.Count,
                VectorCount = record.VectorCount + segment.Vectors,
                SizeBytes = record.SizeBytes + segment.Bytes,
                LastBatchPosition = segment.BatchPosition,
            };
            txn.Success.Add(Ops.Put(Keys.Segment(id), segment.Updated.ToJsonBytes()));
        }
        return txn;
    }

    /// <summary>An append can follow an earlier one in the same Txn only when its expectation holds for the earlier one's result.</summary>
    private static bool CanChain(StreamState expected, long lastVersion) =>
        expected.IsAny || expected.IsStreamExists || expected.IsExact && expected.Value == lastVersion;

    /// <summary>The version the Txn assumes is the stream's last: the caller's exact version, -1 for a new stream, else the tip's.</summary>
    private static long AssumedVersion(PreparedAppend part, StreamTip? tip) =>
        part.Expected.IsExact ? part.Expected.Value
        : part.Expected.IsNoStream ? -1
        : tip?.LastVersion ?? -1;

    /// <summary>Results of a committed Txn; updates stream tips and segment records from what it wrote.</summary>
    public IEnumerable<(AppendUnit Unit, AppendResult[] Results)> Committed(long revision)
    {
        foreach (var segment in _segments.Values)
            if (segment.Updated is { } updated) segment.Record = new SegmentView(updated, revision, segment.Record.CreateRevision);

        foreach (var plan in _parts)
        {
            var known = _context.Tips.Get(plan.Part.Stream);
            var head = plan.NewHead ?? plan.ChainedHead ?? known?.Head;
            var headRevision = plan.HeadWrittenInTxn ? revision : known?.HeadModRevision ?? 0;
            _context.Tips.Put(plan.Part.Stream, new StreamTip(plan.Entry!.LastVersion, head, headRevision, plan.Entry, revision));
        }
        return Sent.Select(unit => (unit, _parts.Where(p => p.Unit == unit).Select(p => p.Result(revision)).ToArray()));
    }

    /// <summary>Reads the failure branch: refreshes window and segment records; returns, per part, what etcd holds now.</summary>
    public FailureReport Failed(TxnResponse response)
    {
        var responses = response.Responses;
        var i = 0;
        var windowKvs = responses[i++].ResponseRange.Kvs;
        WindowView? window = windowKvs.Count > 0 ? new WindowView(WindowRecord.FromJsonBytes(windowKvs[0].Value.Span), windowKvs[0].ModRevision) : null;
        var segmentsMoved = false;
        foreach (var segment in _segments.Values)
        {
            var kvs = responses[i++].ResponseRange.Kvs;
            if (kvs.Count == 0) { segmentsMoved = true; continue; }
            segment.Record = new SegmentView(SegmentRecord.FromJsonBytes(kvs[0].Value.Span), kvs[0].ModRevision, kvs[0].CreateRevision);
            if (segment.Record.Record.Status != SegmentStatus.Active) segmentsMoved = true;
        }
        if (window is null || window.ModRevision != _window.ModRevision) segmentsMoved |= window is null || _segments.Keys.Any(s => !window.Contains(s));

        var parts = new List<(PartPlan Plan, StreamTip? Tip)>();
        foreach (var plan in _parts)
        {
            var headKvs = responses[i++].ResponseRange.Kvs;
            var entries = responses[i++].ResponseRange;
            parts.Add((plan, FreshTip(plan, headKvs, entries)));
        }
        return new FailureReport(window, segmentsMoved, parts);
    }

    /// <summary>The tip the failure reads prove, or null when they cannot (the caller loads it in full).</summary>
    private static StreamTip? FreshTip(PartPlan plan, Google.Protobuf.Collections.RepeatedField<Mvccpb.KeyValue> headKvs, RangeResponse entries)
    {
        if (headKvs.Count == 0) return StreamTip.None;
        var head = StreamHead.FromJsonBytes(headKvs[0].Value.Span);
        if (head.LastSegment != plan.Segment || entries.More || entries.Kvs.Count == 0) return null;
        var last = entries.Kvs[^1];
        var entry = StreamEntry.Parser.ParseFrom(last.Value);
        return new StreamTip(entry.LastVersion, head, headKvs[0].ModRevision, entry, last.ModRevision);
    }

    /// <summary>
    /// The same batches' keys as this Txn would write them, so an unknown outcome can be checked by
    /// reading one of them back: present with <see cref="BatchId"/> means this Txn committed.
    /// </summary>
    public (SegmentId Segment, byte[] Key)? ProbeBatch =>
        _segments.FirstOrDefault(s => s.Value.Events.Count > 0) is { Value: not null } s
            ? (s.Key, Keys.Batch(s.Key, s.Value.BatchPosition))
            : null;

    private sealed class SegmentPlan(SegmentView record)
    {
        public SegmentView Record { get; set; } = record;

        public List<EventRecord> Events { get; } = [];

        public List<(string Stream, StreamEntry Entry)> Entries { get; } = [];

        public long BatchPosition { get; set; }

        public long Bytes { get; set; }

        public long Vectors { get; set; }

        public SegmentRecord? Updated { get; set; }
    }

    internal sealed class PartPlan(AppendUnit unit, PreparedAppend part, SegmentId segment, long assumed, int firstIndex)
    {
        public AppendUnit Unit { get; } = unit;

        public PreparedAppend Part { get; } = part;

        public SegmentId Segment { get; } = segment;

        public long Assumed { get; } = assumed;

        public int FirstIndex { get; } = firstIndex;

        public StreamHead? NewHead { get; set; }

        public bool HeadWrittenInTxn { get; set; }

        /// <summary>For an append chained after another to the same stream: the head as the earlier one leaves it.</summary>
        public StreamHead? ChainedHead { get; set; }

        public StreamEntry? Entry { get; set; }

        public AppendResult Result(long revision) => new(
            Part.Stream, Entry!.FirstVersion, Entry.LastVersion,
            new Position(revision, FirstIndex + Part.Events.Length - 1), Segment.ToString(), IsRepeat: false);
    }

    internal sealed record FailureReport(WindowView? Window, bool SegmentsMoved, IReadOnlyList<(PartPlan Plan, StreamTip? Tip)> Parts);
}
