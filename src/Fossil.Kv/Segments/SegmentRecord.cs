using System.Text.Json;
using System.Text.Json.Serialization;

namespace Fossil.Kv.Segments;

/// <summary>Where a segment is in its lifecycle; each step is a compare-and-swap on its catalog entry (ADR 0006).</summary>
public enum SegmentStatus
{
    /// <summary>Takes appends: the segment of its partition in the current window, kept in etcd.</summary>
    Active,

    /// <summary>Closed to appends (window end, <c>segment.max_size</c> or an explicit seal); nodes materialize it into files.</summary>
    Sealed,

    /// <summary>Being evicted (retention or an explicit eviction); whichever node retries the eviction finishes it.</summary>
    Expiring,

    /// <summary>Evicted: its events are gone from etcd, and nodes delete their files of it.</summary>
    Dropped,
}

/// <summary>A segment's time window: from <paramref name="Start"/> (inclusive) to <paramref name="End"/> (exclusive), both UTC.</summary>
/// <param name="Start">The window's first instant, UTC.</param>
/// <param name="End">The first instant after the window, UTC.</param>
public sealed record TimeRange(DateTime Start, DateTime End);

/// <summary>
/// A segment's entry in the catalog (<c>/meta/segments/&lt;sid&gt;</c>): the seed's <c>meta.json</c>
/// fields plus its partition. While the segment is active every batch rewrites it, so its mod revision
/// is the compare-and-swap point that orders the segment's batches.
/// </summary>
public sealed record SegmentRecord
{
    /// <summary>The segment's id in canonical form (<see cref="Id"/> parses it).</summary>
    [JsonPropertyName("segment_id")]
    public required string SegmentId { get; init; }

    /// <summary>The space partition whose streams the segment holds, 0 to <c>segment.partitions</c> - 1.</summary>
    public required int Partition { get; init; }

    /// <summary>0 for a window's first segment of the partition, one more for each early rotation (<c>segment.max_size</c>).</summary>
    public int Generation { get; init; }

    /// <summary>The time window the segment belongs to.</summary>
    public required TimeRange TimeRange { get; init; }

    /// <summary>Where the segment is in its lifecycle.</summary>
    public SegmentStatus Status { get; init; } = SegmentStatus.Active;

    /// <summary>Events in the segment.</summary>
    public long DocumentCount { get; init; }

    /// <summary>
    /// Distinct entities the segment's events mention; 0 in the catalog, since appends cannot count them
    /// (<see cref="EventStore.WithLocalCounts"/> fills it in from a node's materialized files).
    /// </summary>
    public long EntityCount { get; init; }

    /// <summary>Events in the segment that carry a vector.</summary>
    public long VectorCount { get; init; }

    /// <summary>Encoded bytes of the segment's events as written to etcd; reaching <c>segment.max_size</c> rotates an active segment.</summary>
    public long SizeBytes { get; init; }

    /// <summary>When the segment was created (UTC).</summary>
    public DateTime CreatedAt { get; init; }

    /// <summary>When the segment was sealed (UTC); null while it is active.</summary>
    public DateTime? SealedAt { get; init; }

    /// <summary>Key position of the segment's last batch, -1 before the first.</summary>
    public long LastBatchPosition { get; init; } = -1;

    /// <summary>
    /// Where the sealed files were published (<c>&lt;segment.archive&gt;/&lt;sid&gt;</c> as the publishing node saw it), once
    /// they were verified there. From then on the segment's event keys may be gone from etcd: its files are the data.
    /// </summary>
    public string? ArchivedAt { get; init; }

    /// <summary>The archived copy's <c>meta.json</c> checksum, so a node fetching it knows it has that copy and no other.</summary>
    public string? ArchiveChecksum { get; init; }

    /// <summary>Whether the sealed files were published to the archive (<see cref="ArchivedAt"/> is set).</summary>
    [JsonIgnore]
    public bool IsArchived => ArchivedAt is not null;

    /// <summary><see cref="SegmentId"/> parsed; throws <see cref="FormatException"/> if the stored id is malformed.</summary>
    [JsonIgnore]
    public SegmentId Id => Segments.SegmentId.Parse(SegmentId);

    /// <summary>The value of the catalog key: compact JSON with snake_case names (docs/formats/keyspace.md).</summary>
    public byte[] ToJsonBytes() => JsonSerializer.SerializeToUtf8Bytes(this, FossilJson.Compact);

    /// <summary>Reads what <see cref="ToJsonBytes"/> wrote.</summary>
    /// <exception cref="JsonException">The bytes are not a segment record.</exception>
    public static SegmentRecord FromJsonBytes(ReadOnlySpan<byte> json) =>
        JsonSerializer.Deserialize<SegmentRecord>(json, FossilJson.Compact) ?? throw new JsonException("segment record is null");

    /// <summary>
    /// The public shape of a segment, as <c>GET /segments</c> and <c>fossil segments --json</c> show it: the seed's
    /// <c>meta.json</c> fields plus partition, and whether this node has it materialized when that is known.
    /// </summary>
    public void WriteJson(Utf8JsonWriter writer, bool? materialized = null)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartObject();
        writer.WriteString("segment_id", SegmentId);
        writer.WriteNumber("partition", Partition);
        writer.WriteNumber("generation", Generation);
        writer.WriteStartObject("time_range");
        writer.WriteString("start", TimeRange.Start);
        writer.WriteString("end", TimeRange.End);
        writer.WriteEndObject();
        writer.WriteString("status", StatusName(Status));
        writer.WriteNumber("document_count", DocumentCount);
        writer.WriteNumber("entity_count", EntityCount);
        writer.WriteNumber("vector_count", VectorCount);
        writer.WriteNumber("size_bytes", SizeBytes);
        writer.WriteString("created_at", CreatedAt);
        if (SealedAt is { } sealedAt) writer.WriteString("sealed_at", sealedAt);
        else writer.WriteNull("sealed_at");
        if (ArchivedAt is { } archivedAt) writer.WriteString("archived_at", archivedAt);
        if (materialized is { } local) writer.WriteBoolean("materialized", local);
        writer.WriteEndObject();
    }

    /// <summary>The status as the API and CLI write it: <c>active</c>, <c>sealed</c>, <c>expiring</c>, <c>dropped</c>.</summary>
    public static string StatusName(SegmentStatus status) => status switch
    {
        SegmentStatus.Active => "active",
        SegmentStatus.Sealed => "sealed",
        SegmentStatus.Expiring => "expiring",
        _ => "dropped",
    };
}

/// <summary>
/// The current time window (<c>/meta/window</c>): its bounds, its partition count and the active segment
/// of each partition. Every append compares its mod revision, so a rotation fences out stale writers.
/// </summary>
public sealed record WindowRecord
{
    /// <summary>The window's first instant (UTC, inclusive).</summary>
    public required DateTime Start { get; init; }

    /// <summary>The first instant after the window (UTC); appends at or after it rotate to the next window.</summary>
    public required DateTime End { get; init; }

    /// <summary>How many partitions, so active segments, the window has (<c>segment.partitions</c> when it started).</summary>
    public required int Partitions { get; init; }

    /// <summary>Active segment id of partition i at index i.</summary>
    public required IReadOnlyList<string> Segments { get; init; }

    /// <summary>The active segment of <paramref name="partition"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="partition"/> is not below <see cref="Partitions"/>.</exception>
    public SegmentId SegmentOf(int partition) => SegmentId.Parse(Segments[partition]);

    /// <summary>The value of <c>/meta/window</c>: compact JSON with snake_case names.</summary>
    public byte[] ToJsonBytes() => JsonSerializer.SerializeToUtf8Bytes(this, FossilJson.Compact);

    /// <summary>Reads what <see cref="ToJsonBytes"/> wrote.</summary>
    /// <exception cref="JsonException">The bytes are not a window record.</exception>
    public static WindowRecord FromJsonBytes(ReadOnlySpan<byte> json) =>
        JsonSerializer.Deserialize<WindowRecord>(json, FossilJson.Compact) ?? throw new JsonException("window record is null");
}
