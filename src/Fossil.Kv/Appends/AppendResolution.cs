using Fossil.Kv.Keyspace;
using Fossil.Kv.Records;
using Fossil.Kv.Segments;
using Fossil.Kv.Streams;

namespace Fossil.Kv.Appends;

/// <summary>
/// Decides appends whose expected version does not hold: an idempotent repeat (the same event ids are
/// already the stream's next entry or its last append) succeeds with the original result; anything
/// else is a <see cref="WrongExpectedVersionException"/>, or a <see cref="DuplicateEventIdException"/>
/// when ids were reused for other content.
/// </summary>
internal static class AppendResolution
{
    /// <summary>True when the unit should be sent (every part's expectation holds on fresh tips); otherwise completes it.</summary>
    public static async Task<bool> ResolveAsync(StoreContext context, AppendUnit unit, CancellationToken cancellationToken)
    {
        var tips = new StreamTip[unit.Parts.Count];
        for (var i = 0; i < tips.Length; i++)
            tips[i] = await StreamTipLoader.LoadAsync(context, unit.Parts[i].Stream, cancellationToken).ConfigureAwait(false);
        if (unit.Parts.Select((part, i) => part.Expected.IsSatisfiedBy(tips[i].LastVersion)).All(ok => ok)) return true;

        // A unit is a repeat only when every part is; otherwise the first part whose expectation fails decides.
        var results = new AppendResult?[unit.Parts.Count];
        for (var i = 0; i < tips.Length; i++)
        {
            var part = unit.Parts[i];
            if (part.Expected.IsSatisfiedBy(tips[i].LastVersion)) continue;
            results[i] = await FindRepeatAsync(context, part, tips[i], cancellationToken).ConfigureAwait(false);
            if (results[i] is null)
            {
                unit.Completion.TrySetException(new WrongExpectedVersionException(part.Stream, part.Expected, tips[i].LastVersion));
                return false;
            }
        }
        if (results.All(r => r is not null))
        {
            unit.Completion.TrySetResult([.. results.Select(r => r!)]);
            return false;
        }
        var first = Array.FindIndex(results, r => r is not null);
        unit.Completion.TrySetException(new WrongExpectedVersionException(unit.Parts[first].Stream, unit.Parts[first].Expected, tips[first].LastVersion));
        return false;
    }

    /// <summary>
    /// Whether this append was already written: the entry right after an exact expected version, or the
    /// stream's last entry for any other expectation, carries exactly these event ids.
    /// </summary>
    private static async Task<AppendResult?> FindRepeatAsync(StoreContext context, PreparedAppend part, StreamTip tip, CancellationToken cancellationToken)
    {
        if (tip.Head is null) return null;
        (StreamEntry Entry, long Revision, SegmentId Segment)? candidate = part.Expected.IsExact
            ? await FindEntryStartingAtAsync(context, part.Stream, tip.Head, part.Expected.Value + 1, cancellationToken).ConfigureAwait(false)
            : tip.LastEntry is { } last ? (last, tip.LastEntryRevision, tip.Head.LastSegment) : null;
        if (candidate is not { } found) return null;

        var ids = part.EventIds.ToArray();
        var stored = SplitIds(found.Entry);
        if (!stored.SequenceEqual(ids))
        {
            var shared = stored.Intersect(ids).FirstOrDefault();
            if (shared != Guid.Empty)
                throw new DuplicateEventIdException(part.Stream, shared, found.Entry.FirstVersion + Array.IndexOf(stored, shared));
            return null;
        }
        await EnsureSameContentAsync(context, part, found.Entry, found.Segment, cancellationToken).ConfigureAwait(false);
        return new AppendResult(part.Stream, found.Entry.FirstVersion, found.Entry.LastVersion,
            new Position(found.Revision, found.Entry.FirstIndex + ids.Length - 1), found.Segment.ToString(), IsRepeat: true);
    }

    private static async Task<(StreamEntry, long, SegmentId)?> FindEntryStartingAtAsync(
        StoreContext context, string stream, StreamHead head, long version, CancellationToken cancellationToken)
    {
        var segmentRef = head.Segments.LastOrDefault(s => s.FirstVersion <= version);
        if (segmentRef is null) return null;
        var segment = SegmentId.Parse(segmentRef.Segment);
        var keys = context.Keys;
        var end = KeyLayout.PrefixEnd(keys.StreamEntriesPrefix(segment, stream));
        var response = await context.Etcd.RangeAsync(Ops.Range(keys.StreamEntry(segment, stream, version), end, limit: 1), cancellationToken).ConfigureAwait(false);
        if (response.Kvs.Count == 0) return null;
        var entry = StreamEntry.Parser.ParseFrom(response.Kvs[0].Value);
        return entry.FirstVersion == version ? (entry, response.Kvs[0].ModRevision, segment) : null;
    }

    private static async Task EnsureSameContentAsync(StoreContext context, PreparedAppend part, StreamEntry entry, SegmentId segment, CancellationToken cancellationToken)
    {
        var response = await context.Etcd.GetAsync(Ops.Bytes(context.Keys.Batch(segment, entry.BatchPosition)), cancellationToken).ConfigureAwait(false);
        if (response.Kvs.Count == 0) return; // archived out of etcd: the ids match, which is what the contract promises on
        var batch = Batch.Parser.ParseFrom(response.Kvs[0].Value);
        for (var i = 0; i < part.Events.Length; i++)
        {
            var stored = batch.Events.FirstOrDefault(e => e.Index == entry.FirstIndex + i);
            var sent = part.Events[i];
            if (stored is null) continue;
            var same = stored.Type == sent.Type && stored.Data == sent.Data && stored.DataIsJson == sent.DataIsJson
                && stored.Metadata == sent.Metadata && stored.Vector.Equals(sent.Vector) && stored.Entities.Equals(sent.Entities);
            if (!same) throw new DuplicateEventIdException(part.Stream, new Guid(sent.Id.Span, bigEndian: true), stored.Version);
        }
    }

    public static Guid[] SplitIds(StreamEntry entry)
    {
        var span = entry.EventIds.Span;
        var ids = new Guid[span.Length / 16];
        for (var i = 0; i < ids.Length; i++) ids[i] = new Guid(span.Slice(16 * i, 16), bigEndian: true);
        return ids;
    }
}
