using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Fossil.Kv.Segments;
using Fossil.Kv.Vectors;

namespace Fossil.Kv.SegmentFiles;

/// <summary>Size and CRC-32C of one data file as recorded in <c>meta.json</c>.</summary>
/// <param name="SizeBytes">The file's length.</param>
/// <param name="Crc32C">The payload checksum in the file's own header (CRC-32C of every byte after the header),
/// as 8 lowercase hex digits. With the header's own checksum it covers every byte of the file.</param>
public sealed record SegmentFileEntry(long SizeBytes, string Crc32C);

/// <summary>
/// <c>meta.json</c>: the seed's segment metadata plus what a reader needs to trust the other files. Written
/// last, so a directory with a valid meta.json is complete. Its <see cref="Checksum"/> is the CRC-32C of the
/// file's exact bytes with the checksum's 8 hex digits replaced by <c>0</c>s.
/// </summary>
public sealed record SegmentFileMeta
{
    /// <summary>The format version this build writes and the only one it reads.</summary>
    public const int CurrentFormatVersion = 1;

    /// <summary>Format version of the directory; a reader refuses any other than <see cref="CurrentFormatVersion"/>.</summary>
    public required int FormatVersion { get; init; }

    /// <summary>The segment's id in canonical form.</summary>
    [JsonPropertyName("segment_id")]
    public required string SegmentId { get; init; }

    /// <summary>The space partition whose streams the segment holds.</summary>
    public required int Partition { get; init; }

    /// <summary>The segment's time window.</summary>
    public required TimeRange TimeRange { get; init; }

    /// <summary>The segment's status when the files were written; always <see cref="SegmentStatus.Sealed"/>.</summary>
    public required SegmentStatus Status { get; init; }

    /// <summary>Events in the segment, at most <see cref="int.MaxValue"/>.</summary>
    public required long DocumentCount { get; init; }

    /// <summary>Distinct entities mentioned by the segment's events.</summary>
    public required long EntityCount { get; init; }

    /// <summary>Distinct streams with events in the segment.</summary>
    public required long StreamCount { get; init; }

    /// <summary>Vectors in the segment's vector index; a vector the index could not take under its metric is not counted.</summary>
    public required long VectorCount { get; init; }

    /// <summary>The store's vector dimension; 0 when the store has no vectors.</summary>
    public required int VectorDimension { get; init; }

    /// <summary>The metric the vector index was built for.</summary>
    public required VectorMetric VectorMetric { get; init; }

    /// <summary>The <c>hnsw.m</c> the vector index was built with.</summary>
    public required int HnswM { get; init; }

    /// <summary>The <c>hnsw.ef_construction</c> the vector index was built with.</summary>
    public required int HnswEfConstruction { get; init; }

    /// <summary>Total bytes of the data files (everything but meta.json).</summary>
    public required long SizeBytes { get; init; }

    /// <summary>When the segment was created (UTC), as in its catalog entry.</summary>
    public required DateTime CreatedAt { get; init; }

    /// <summary>When the segment was sealed (UTC), as in its catalog entry.</summary>
    public required DateTime SealedAt { get; init; }

    /// <summary>Commit revision of the first event; null when the segment is empty.</summary>
    public long? FirstRevision { get; init; }

    /// <summary>Commit revision of the last event; null when the segment is empty.</summary>
    public long? LastRevision { get; init; }

    /// <summary>Segment position of the first event; null when the segment is empty.</summary>
    public long? FirstPosition { get; init; }

    /// <summary>Segment position of the last event; null when the segment is empty.</summary>
    public long? LastPosition { get; init; }

    /// <summary>Every data file by name.</summary>
    public required IReadOnlyDictionary<string, SegmentFileEntry> Files { get; init; }

    /// <summary>CRC-32C of meta.json itself (see the type's remarks), 8 lowercase hex digits.</summary>
    public string Checksum { get; init; } = ChecksumPlaceholder;

    internal const string ChecksumPlaceholder = "00000000";

    private static readonly JsonSerializerOptions s_options = new(FossilJson.Indented)
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        RespectNullableAnnotations = true,
        RespectRequiredConstructorParameters = true,
    };

    private static ReadOnlySpan<byte> ChecksumProperty => "checksum"u8;

    internal static string Hex(uint value) => value.ToString("x8", CultureInfo.InvariantCulture);

    /// <summary>The file's bytes, checksum included.</summary>
    internal byte[] ToJsonBytes()
    {
        var bytes = JsonSerializer.SerializeToUtf8Bytes(this with { Checksum = ChecksumPlaceholder }, s_options);
        var at = FindChecksumValue(bytes);
        if (at < 0)
            throw new InvalidOperationException("meta.json serialization lost its checksum field.");
        var hex = Encoding.ASCII.GetBytes(Hex(Crc32C.Compute(bytes)));
        hex.CopyTo(bytes, at);
        return bytes;
    }

    /// <summary>Validates the checksum and the content of meta.json's bytes.</summary>
    internal static SegmentFileMeta Parse(ReadOnlySpan<byte> bytes, string path)
    {
        var at = FindChecksumValue(bytes);
        if (at < 0)
            FileHeader.Corrupt(path, "no valid \"checksum\" field");
        var stored = bytes.Slice(at, 8);
        foreach (var c in stored)
        {
            if (!char.IsAsciiDigit((char)c) && c is not (>= (byte)'a' and <= (byte)'f'))
                FileHeader.Corrupt(path, "the checksum is not 8 lowercase hex digits");
        }
        var copy = bytes.ToArray();
        "00000000"u8.CopyTo(copy.AsSpan(at));
        var computed = Hex(Crc32C.Compute(copy));
        if (!stored.SequenceEqual(Encoding.ASCII.GetBytes(computed)))
            FileHeader.Corrupt(path, $"checksum mismatch (stored {Encoding.ASCII.GetString(stored)}, computed {computed})");

        SegmentFileMeta? meta = null;
        try
        {
            meta = JsonSerializer.Deserialize<SegmentFileMeta>(bytes, s_options);
        }
        catch (JsonException e)
        {
            throw new SegmentFilesCorruptException(path, "not valid segment metadata: " + e.Message, e);
        }
        if (meta is null)
            FileHeader.Corrupt(path, "it is JSON null");
        meta.Validate(path);
        return meta;
    }

    private void Validate(string path)
    {
        if (FormatVersion != CurrentFormatVersion)
            FileHeader.Corrupt(path, $"unknown format version {FormatVersion} (this build reads {CurrentFormatVersion})");
        if (DocumentCount is < 0 or > int.MaxValue || EntityCount < 0 || StreamCount < 0 || VectorCount < 0 || VectorCount > DocumentCount
            || VectorDimension is < 0 or > HnswIndex.MaxDimension || SizeBytes < 0 || !Enum.IsDefined(VectorMetric) || !Enum.IsDefined(Status))
            FileHeader.Corrupt(path, "a count, size, dimension or enum is out of range");
        if ((DocumentCount == 0) != (FirstRevision is null) || (FirstRevision is null) != (LastRevision is null)
            || (FirstRevision is null) != (FirstPosition is null) || (FirstPosition is null) != (LastPosition is null))
            FileHeader.Corrupt(path, "first/last revision and position must be present exactly when there are documents");
        if (Files.Count != SegmentFileNames.DataFiles.Count)
            FileHeader.Corrupt(path, $"it lists {Files.Count} files (expected {SegmentFileNames.DataFiles.Count})");
        long total = 0;
        foreach (var name in SegmentFileNames.DataFiles)
        {
            if (!Files.TryGetValue(name, out var entry) || entry is null)
                FileHeader.Corrupt(path, $"it does not list {name}");
            if (entry.SizeBytes < 0 || entry.Crc32C is not { Length: 8 } || !uint.TryParse(entry.Crc32C, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out _))
                FileHeader.Corrupt(path, $"the entry for {name} is not valid");
            total += entry.SizeBytes;
        }
        if (total != SizeBytes)
            FileHeader.Corrupt(path, $"size_bytes {SizeBytes} is not the sum of the file sizes ({total})");
    }

    internal uint ChecksumOf(string fileName) => uint.Parse(Files[fileName].Crc32C, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);

    /// <summary>Offset of the 8 hex digits of the top-level "checksum" string, or -1.</summary>
    private static int FindChecksumValue(ReadOnlySpan<byte> json)
    {
        try
        {
            var reader = new Utf8JsonReader(json, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow });
            while (reader.Read())
            {
                if (reader.TokenType == JsonTokenType.PropertyName && reader.CurrentDepth == 1 && !reader.ValueIsEscaped
                    && reader.ValueTextEquals(ChecksumProperty))
                {
                    if (!reader.Read() || reader.TokenType != JsonTokenType.String || reader.ValueIsEscaped || reader.ValueSpan.Length != 8)
                        return -1;
                    var start = (int)reader.TokenStartIndex + 1;
                    return start;
                }
            }
        }
        catch (JsonException)
        {
        }
        return -1;
    }
}
