using System.Text.Json;
using System.Text.Json.Serialization;

namespace Fossil.Kv.Segments;

public enum SegmentStatus
{
    Active,
    Sealed,
    Expiring,
    Dropped,
}

public sealed record TimeRange(DateTime Start, DateTime End);

/// <summary>
/// A segment's entry in the catalog (<c>/meta/segments/&lt;sid&gt;</c>): the seed's <c>meta.json</c>
/// fields plus its partition. While the segment is active every batch rewrites it, so its mod revision
/// is the compare-and-swap point that orders the segment's batches.
/// </summary>
public sealed record SegmentRecord
{
    [JsonPropertyName("segment_id")]
    public required string SegmentId { get; init; }

    public required int Partition { get; init; }

    public int Generation { get; init; }

    public required TimeRange TimeRange { get; init; }

    public SegmentStatus Status { get; init; } = SegmentStatus.Active;

    public long DocumentCount { get; init; }

    public long EntityCount { get; init; }

    public long VectorCount { get; init; }

    public long SizeBytes { get; init; }

    public DateTime CreatedAt { get; init; }

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

    [JsonIgnore]
    public bool IsArchived => ArchivedAt is not null;

    [JsonIgnore]
    public SegmentId Id => Segments.SegmentId.Parse(SegmentId);

    public byte[] ToJsonBytes() => JsonSerializer.SerializeToUtf8Bytes(this, FossilJson.Compact);

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
    public required DateTime Start { get; init; }

    public required DateTime End { get; init; }

    public required int Partitions { get; init; }

    /// <summary>Active segment id of partition i at index i.</summary>
    public required IReadOnlyList<string> Segments { get; init; }

    public SegmentId SegmentOf(int partition) => SegmentId.Parse(Segments[partition]);

    public byte[] ToJsonBytes() => JsonSerializer.SerializeToUtf8Bytes(this, FossilJson.Compact);

    public static WindowRecord FromJsonBytes(ReadOnlySpan<byte> json) =>
        JsonSerializer.Deserialize<WindowRecord>(json, FossilJson.Compact) ?? throw new JsonException("window record is null");
}
