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
    /// <summary>
    /// Whether cached tips already prove a unit's expectation wrong (tips lag the truth, never lead it),
    /// so it is settled with reads instead of a Txn; an append whose stream sits in an earlier segment must
    /// be checked here, since its Txn's compares cannot see its version.
    /// </summary>
    public static bool CertainlyUnsatisfied(StoreContext context, AppendUnit unit, WindowView window)
    {
        foreach (var part in unit.Parts)
        {
            if (context.Tips.Get(part.Stream) is not { } tip) continue;
            if (part.Expected.IsNoStream && tip.Exists) return true;
            if (part.Expected.IsStreamExists && !tip.Exists) return true;
            // Ids of the stream's last append sent again: a repeat whatever the expectation.
            if (tip.LastEntry is { } last && SharesAnId(last, part)) return true;
            if (part.Expected.IsExact && part.Expected.Value < tip.LastVersion) return true;
            // A tip in an earlier, sealed segment is final unless the head moved, which the Txn checks.
            if (part.Expected.IsExact && tip.Head is not null && tip.LastSegment != window.SegmentFor(part.Stream) && part.Expected.Value != tip.LastVersion)
                return true;
        }
        return false;
    }

    /// <summary>True when the unit should be sent (every part's expectation holds on fresh tips and none repeats); otherwise completes it.</summary>
    public static async Task<bool> ResolveAsync(StoreContext context, AppendUnit unit, CancellationToken cancellationToken)
    {
        var tips = new StreamTip[unit.Parts.Count];
        var repeats = new AppendResult?[unit.Parts.Count];
        for (var i = 0; i < tips.Length; i++)
        {
            var part = unit.Parts[i];
            tips[i] = await StreamTipLoader.LoadAsync(context, part.Stream, cancellationToken).ConfigureAwait(false);
            repeats[i] = await FindRepeatAsync(context, part, tips[i], cancellationToken).ConfigureAwait(false);
            if (repeats[i] is null && !part.Expected.IsSatisfiedBy(tips[i].LastVersion))
            {
                unit.Completion.TrySetException(new WrongExpectedVersionException(part.Stream, part.Expected, tips[i].LastVersion));
                return false;
            }
        }
        if (repeats.All(r => r is null)) return true;
        if (repeats.All(r => r is not null))
        {
            unit.Completion.TrySetResult([.. repeats.Select(r => r!)]);
            return false;
        }
        // Part of the unit was written before and part was not: that is no repeat of this atomic append, and its
        // expectations may all hold, so the answer names the ids that were written already.
        var first = Array.FindIndex(repeats, r => r is not null);
        unit.Completion.TrySetException(new DuplicateEventIdException(unit.Parts[first].Stream, unit.Parts[first].EventIds.First(), repeats[first]!.FirstVersion));
        return false;
    }

    /// <summary>
    /// Whether this append was already written: the stream's last append carries these event ids
    /// (whatever the expectation), or, for an exact expectation, the entry right after it does.
    /// Ids reused for other content, or only partly, are a <see cref="DuplicateEventIdException"/>.
    /// </summary>
    private static async Task<AppendResult?> FindRepeatAsync(StoreContext context, PreparedAppend part, StreamTip tip, CancellationToken cancellationToken)
    {
        if (tip.Head is null) return null;
        var ids = part.EventIds.ToArray();
        (StreamEntry Entry, long Revision, SegmentId Segment)? candidate = null;
        if (tip.LastEntry is { } last && SplitIds(last).Intersect(ids).Any())
            candidate = tip.Head.Segments[^1].FinalVersion is null
                ? (last, tip.LastEntryRevision, tip.Head.LastSegment)
                : await FindAppendInFilesAsync(context, part.Stream, tip.Head.LastSegment, last, ids, cancellationToken).ConfigureAwait(false) ?? (last, tip.LastEntryRevision, tip.Head.LastSegment);
        else if ((part.Expected.IsExact || part.Expected.IsNoStream) && !part.Expected.IsSatisfiedBy(tip.LastVersion))
            candidate = await FindEntryStartingAtAsync(context, part.Stream, tip.Head, part.Expected.Value + 1, ids.Length, cancellationToken).ConfigureAwait(false);
        if (candidate is not { } found) return null;

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

    /// <summary>
    /// The tip of a stream whose last segment left etcd comes from files, which keep events, not appends: appends
    /// committed together read as one <paramref name="run"/> there. The sent ids, found in order inside it, are the
    /// append being retried.
    /// </summary>
    private static async Task<(StreamEntry, long, SegmentId)?> FindAppendInFilesAsync(
        StoreContext context, string stream, SegmentId segment, StreamEntry run, Guid[] ids, CancellationToken cancellationToken)
    {
        var stored = SplitIds(run);
        var at = Array.IndexOf(stored, ids[0]);
        if (at < 0 || at + ids.Length > stored.Length || !stored.AsSpan(at, ids.Length).SequenceEqual(ids)) return null;
        var files = await context.Local.GetOrFetchAsync(segment, expectedChecksum: null, cancellationToken).ConfigureAwait(false);
        return files is not null && StreamTipLoader.EntryIn(files, stream, run.FirstVersion + at, ids.Length) is var (entry, revision) ? (entry, revision, segment) : null;
    }

    private static async Task<(StreamEntry, long, SegmentId)?> FindEntryStartingAtAsync(
        StoreContext context, string stream, StreamHead head, long version, int count, CancellationToken cancellationToken)
    {
        var segmentRef = head.Segments.LastOrDefault(s => s.FirstVersion <= version);
        if (segmentRef is null) return null;
        var segment = SegmentId.Parse(segmentRef.Segment);
        var keys = context.Keys;
        var end = KeyLayout.PrefixEnd(keys.StreamEntriesPrefix(segment, stream));
        var response = await context.Etcd.RangeAsync(Ops.Range(keys.StreamEntry(segment, stream, version), end, limit: 1), cancellationToken).ConfigureAwait(false);
        if (response.Kvs.Count == 0)
        {
            // An archived segment's entries left etcd; its files still hold the events and their ids.
            var files = await context.Local.GetOrFetchAsync(segment, expectedChecksum: null, cancellationToken).ConfigureAwait(false);
            return files is not null && StreamTipLoader.EntryIn(files, stream, version, count) is var (archived, revision) ? (archived, revision, segment) : null;
        }
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

    /// <summary>Whether any of the append's event ids is among the entry's (big-endian 16-byte ids, as written).</summary>
    public static bool SharesAnId(StreamEntry entry, PreparedAppend part)
    {
        var stored = entry.EventIds.Span;
        foreach (var e in part.Events)
        {
            var id = e.Id.Span;
            for (var offset = 0; offset + 16 <= stored.Length; offset += 16)
                if (stored.Slice(offset, 16).SequenceEqual(id)) return true;
        }
        return false;
    }

    public static Guid[] SplitIds(StreamEntry entry)
    {
        var span = entry.EventIds.Span;
        var ids = new Guid[span.Length / 16];
        for (var i = 0; i < ids.Length; i++) ids[i] = new Guid(span.Slice(16 * i, 16), bigEndian: true);
        return ids;
    }
}
