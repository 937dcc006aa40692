using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Serialization;
using Fossil.Kv.Records;
using Fossil.Kv.Segments;

namespace Fossil.Kv.Streams;

/// <summary>
/// One segment a stream has entries in, and the stream's first version there. <see cref="FinalVersion"/>
/// is written when the segment expires while it still holds the stream's last event, so the stream's
/// version survives the segment's eviction.
/// </summary>
public sealed record StreamSegmentRef(string Segment, long FirstVersion, long? FinalVersion = null)
{
    /// <summary>
    /// The stream's last append in the segment, kept with <see cref="FinalVersion"/>: once the segment's entries leave
    /// etcd this is what tells that a re-send of that append is a repeat (SPEC §2), not new events.
    /// </summary>
    [JsonInclude]
    internal FinalAppend? FinalAppend { get; init; }
}

/// <summary>What the entry of a stream's last append in a segment says, for <see cref="StreamSegmentRef.FinalAppend"/>.</summary>
internal sealed record FinalAppend(long FirstVersion, long LastVersion, int FirstIndex, long BatchPosition, long Revision, byte[] EventIds)
{
    public static FinalAppend Of(StreamEntry entry, long revision) =>
        new(entry.FirstVersion, entry.LastVersion, entry.FirstIndex, entry.BatchPosition, revision, entry.EventIds.ToByteArray());

    public StreamEntry ToEntry() => new()
    {
        FirstVersion = FirstVersion,
        LastVersion = LastVersion,
        FirstIndex = FirstIndex,
        BatchPosition = BatchPosition,
        EventIds = Google.Protobuf.ByteString.CopyFrom(EventIds),
    };
}

/// <summary>
/// <c>/meta/streams/&lt;stream&gt;</c>: the segments a stream has entries in, oldest first. Written only when
/// the stream first appears in a segment, so it costs one key per stream per segment, not per append.
/// </summary>
internal sealed record StreamHead(IReadOnlyList<StreamSegmentRef> Segments)
{
    public SegmentId LastSegment => SegmentId.Parse(Segments[^1].Segment);

    public StreamHead With(SegmentId segment, long firstVersion) =>
        new([.. Segments, new StreamSegmentRef(segment.ToString(), firstVersion)]);

    public byte[] ToJsonBytes() => JsonSerializer.SerializeToUtf8Bytes(this, FossilJson.Compact);

    public static StreamHead FromJsonBytes(ReadOnlySpan<byte> json) =>
        JsonSerializer.Deserialize<StreamHead>(json, FossilJson.Compact) is { Segments.Count: > 0 } head
            ? head
            : throw new JsonException("stream head has no segments");
}

/// <summary>
/// What a writer knows of a stream's end: its last version, the segment and entry that hold it, and the
/// head's mod revision. A tip can be stale (another node appended since) but never ahead of the truth,
/// because versions only grow; the append Txn's compares catch a stale tip.
/// </summary>
internal sealed record StreamTip(long LastVersion, StreamHead? Head, long HeadModRevision, StreamEntry? LastEntry, long LastEntryRevision)
{
    public static StreamTip None { get; } = new(-1, null, 0, null, 0);

    public bool Exists => LastVersion >= 0;

    public SegmentId? LastSegment => Head?.LastSegment;
}

/// <summary>The process's bounded cache of stream tips, so a warm append needs no read before its Txn.</summary>
internal sealed class StreamTipCache(int capacity = 100_000)
{
    private readonly ConcurrentDictionary<string, StreamTip> _tips = new(StringComparer.Ordinal);

    public StreamTip? Get(string stream) => _tips.TryGetValue(stream, out var tip) ? tip : null;

    /// <summary>Keeps the newer of the cached and the given tip (by last version, then head revision).</summary>
    public void Put(string stream, StreamTip tip)
    {
        if (_tips.Count >= capacity) _tips.Clear(); // crude but bounded: tips are reloaded on demand
        _tips.AddOrUpdate(stream, static (_, tip) => tip, static (_, old, tip) =>
            tip.LastVersion > old.LastVersion || tip.LastVersion == old.LastVersion && tip.HeadModRevision >= old.HeadModRevision ? tip : old, tip);
    }

    public void Forget(string stream) => _tips.TryRemove(stream, out _);
}
