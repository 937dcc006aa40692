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
        if (_deferred.Count == 0)
        {
            Sent = units;
        }
        else
        {
            var sent = new List<AppendUnit>(units.Count - _deferred.Count);
            foreach (var unit in units) if (!_deferred.Contains(unit)) sent.Add(unit);
            Sent = sent;
        }
    }

    /// <summary>Every unit given; those in <see cref="Deferred"/> are not in <see cref="Request"/>.</summary>
    public IReadOnlyList<AppendUnit> Units { get; }

    /// <summary>Units that could not chain after an earlier append to the same stream in this Txn; they go in the next one.</summary>
    public IReadOnlyList<AppendUnit> Deferred => _deferred;

    /// <summary>The units this Txn carries, in order.</summary>
    public IReadOnlyList<AppendUnit> Sent { get; }

    public TxnRequest Request { get; }

    /// <summary>16 random bytes in every batch this Txn writes, so an unknown outcome can be told apart from another writer's batch.</summary>
    public ByteString BatchId { get; } = ByteString.CopyFrom(RandomNumberGenerator.GetBytes(16));

    public IEnumerable<SegmentView> Records => _segments.Values.Select(s => s.Record);

    /// <summary>The store's first vectors ride in this Txn: it also sets <c>vector.dimension</c>.</summary>
    public VectorDimensionFix? DimensionFix { get; private set; }

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
        // A unit that fixes the vector dimension is sent alone (AppendUnit.DimensionFix).
        DimensionFix = Units.Count == 1 ? Units[0].DimensionFix : null;
        if (DimensionFix is { } fix)
        {
            txn.Compare.Add(Ops.ModRevisionIs(Keys.Config, fix.ConfigModRevision));
            txn.Success.Add(Ops.Put(Keys.Config, fix.Settings.ToJsonBytes()));
        }

        // Streams already written by an earlier unit of this Txn: a later append to the same stream chains
        // after it (its version follows, and the earlier append's compares cover it) or waits for the next Txn.
        var chained = new Dictionary<string, (long LastVersion, StreamHead? Head, bool HeadWritten)>(StringComparer.Ordinal);
        foreach (var unit in Units)
        {
            // etcd takes at most 128 operations per list: keep room for the segments' own operations.
            var fits = txn.Compare.Count + MaxComparesPerPart * unit.Parts.Count + _segments.Count <= AppendLimits.MaxTxnOps
                && txn.Failure.Count + 2 * unit.Parts.Count <= AppendLimits.MaxTxnOps
                && txn.Success.Count + 2 * unit.Parts.Count + 2 * _segments.Count <= AppendLimits.MaxTxnOps;
            if (!CanChainAll(unit, chained) || !fits && _parts.Count > 0)
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

                var entriesPrefix = Keys.StreamEntriesPrefix(segmentId, part.Stream);
                var entriesEnd = KeyLayout.PrefixEnd(entriesPrefix);
                var nextEntry = EntryKey(entriesPrefix, assumed + 1);
                var headKey = Keys.StreamHead(part.Stream);
                System.Diagnostics.Debug.Assert(nextEntry.AsSpan().SequenceEqual(Keys.StreamEntry(segmentId, part.Stream, assumed + 1)));
                StreamHead? newHead = null;
                if (isChained)
                {
                    plan.ChainedHead = previous.Head;
                }
                else if (assumed < 0)
                {
                    txn.Compare.Add(Ops.Missing(headKey));
                    newHead = new StreamHead([new StreamSegmentRef(segmentId.ToString(), 0)]);
                }
                else if (tip?.Head is { } head && head.LastSegment != segmentId)
                {
                    // The stream's entries so far are in an earlier segment, which is sealed now but may not have been
                    // when the tip was cached: check the version there, fence a concurrent move with the head, and
                    // require the stream to have no entry yet in this segment.
                    var earlierPrefix = Keys.StreamEntriesPrefix(head.LastSegment, part.Stream);
                    var earlierEnd = KeyLayout.PrefixEnd(earlierPrefix);
                    txn.Compare.Add(Ops.NoKeysIn(EntryKey(earlierPrefix, assumed + 1), earlierEnd));
                    if (assumed > tip.LastVersion) txn.Compare.Add(Ops.Exists(EntryKey(earlierPrefix, assumed)));
                    txn.Compare.Add(Ops.ModRevisionIs(headKey, tip.HeadModRevision));
                    txn.Compare.Add(Ops.NoKeysIn(entriesPrefix, entriesEnd));
                    newHead = head.With(segmentId, assumed + 1);
                }
                else
                {
                    txn.Compare.Add(Ops.NoKeysIn(nextEntry, entriesEnd));
                    if (tip is null || assumed > tip.LastVersion) txn.Compare.Add(Ops.Exists(EntryKey(entriesPrefix, assumed)));
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
                segment.Entries.Add((entriesPrefix, entry));
                if (newHead is not null) txn.Success.Add(Ops.Put(headKey, newHead.ToJsonBytes()));

                txn.Failure.Add(Ops.Get(headKey));
                txn.Failure.Add(Ops.RangeOp(nextEntry, entriesEnd, limit: 2));
            }
        }

        if (DimensionFix is not null) txn.Failure.Add(Ops.Get(Keys.Config));

        foreach (var (id, segment) in _segments)
        {
            if (segment.Events.Count == 0) continue;
            segment.BatchPosition = segment.Record.ModRevision * Position.IndexLimit + segment.Events[0].Index;
            foreach (var (entriesPrefix, entry) in segment.Entries)
            {
                entry.BatchPosition = segment.BatchPosition;
                txn.Success.Add(Ops.Put(EntryKey(entriesPrefix, entry.LastVersion), entry.ToByteArray()));
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

    private static bool CanChainAll(AppendUnit unit, Dictionary<string, (long LastVersion, StreamHead? Head, bool HeadWritten)> chained)
    {
        foreach (var p in unit.Parts)
            if (chained.TryGetValue(p.Stream, out var c) && !CanChain(p.Expected, c.LastVersion)) return false;
        return true;
    }

    /// <summary>
    /// <see cref="KeyLayout.StreamEntry"/> from the stream's entries prefix, without formatting the prefix
    /// again: the prefix followed by the version as <see cref="KeyLayout.NumberWidth"/> ASCII digits.
    /// </summary>
    private static byte[] EntryKey(byte[] entriesPrefix, long version)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(version);
        var key = new byte[entriesPrefix.Length + KeyLayout.NumberWidth];
        entriesPrefix.CopyTo(key, 0);
        for (var i = key.Length - 1; i >= entriesPrefix.Length; i--)
        {
            key[i] = (byte)('0' + (version % 10));
            version /= 10;
        }
        return key;
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
            if (head is null)
            {
                // An exact append from a writer that never read the stream: its head is unknown here. A tip without
                // one would send the next append, in a later window, down the same-segment path, which neither checks
                // the earlier segment nor adds the new one to the head (the stream forks). Without a tip the next
                // append checks the entry it follows, and reloads the tip when that is in an earlier segment.
                _context.Tips.Forget(plan.Part.Stream);
                continue;
            }
            var headRevision = plan.HeadWrittenInTxn ? revision : known?.HeadModRevision ?? 0;
            _context.Tips.Put(plan.Part.Stream, new StreamTip(plan.Entry!.LastVersion, head, headRevision, plan.Entry, revision));
        }
        // Parts were planned unit by unit, so each sent unit's parts are contiguous and in its order.
        var results = new (AppendUnit Unit, AppendResult[] Results)[Sent.Count];
        var next = 0;
        for (var u = 0; u < results.Length; u++)
        {
            var unit = Sent[u];
            var array = new AppendResult[unit.Parts.Count];
            for (var k = 0; k < array.Length; k++)
            {
                var plan = _parts[next++];
                System.Diagnostics.Debug.Assert(plan.Unit == unit);
                array[k] = plan.Result(revision);
            }
            results[u] = (unit, array);
        }
        return results;
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
        var configMoved = DimensionFix is { } fix
            && responses[i].ResponseRange.Kvs is var config && (config.Count == 0 || config[0].ModRevision != fix.ConfigModRevision);
        return new FailureReport(window, segmentsMoved, configMoved, parts);
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

        /// <summary>Each entry with its stream's entries prefix (<see cref="KeyLayout.StreamEntriesPrefix"/>).</summary>
        public List<(byte[] EntriesPrefix, StreamEntry Entry)> Entries { get; } = [];

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

    /// <summary>What a failed Txn's reads show.</summary>
    /// <param name="Window">The window now (null when none).</param>
    /// <param name="SegmentsMoved">A segment the Txn wrote no longer takes writes: route again.</param>
    /// <param name="ConfigMoved">The Txn would have fixed the vector dimension, and <c>/meta/config</c> changed since it was read.</param>
    /// <param name="Parts">Per part, the stream's tip as etcd holds it, or null when the reads cannot prove it.</param>
    internal sealed record FailureReport(WindowView? Window, bool SegmentsMoved, bool ConfigMoved, IReadOnlyList<(PartPlan Plan, StreamTip? Tip)> Parts);
}
