using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using Fossil.Kv.Vectors;

namespace Fossil.Kv.SegmentFiles;

internal enum SegmentFileKind
{
    Documents,
    DocumentIndex,
    Entities,
}

/// <summary>
/// The 64-byte header shared by <c>documents.dat</c>, <c>documents.idx</c> and <c>entities.idx</c>
/// (byte layout: docs/formats/segment-files.md). Decoding validates everything it can without reading the
/// payload; no field is exposed before that validation passed.
/// </summary>
internal readonly struct FileHeader
{
    public const int Size = 64;
    public const ushort FormatVersion = 1;
    private const int PayloadChecksumAt = 56;
    private const int HeaderChecksumAt = 60;

    // "FKVDOCS\0", "FKVDIDX\0", "FKVENTS\0" read as little-endian u64.
    private static readonly ulong s_documentsMagic = MagicOf("FKVDOCS\0"u8);
    private static readonly ulong s_indexMagic = MagicOf("FKVDIDX\0"u8);
    private static readonly ulong s_entitiesMagic = MagicOf("FKVENTS\0"u8);

    public required SegmentFileKind Kind { get; init; }

    /// <summary>documents.dat, documents.idx: records; entities.idx: keys.</summary>
    public required long Count { get; init; }

    public required long FileLength { get; init; }

    /// <summary>entities.idx: stream keys (they sort first). Others: 0.</summary>
    public long A { get; init; }

    /// <summary>entities.idx: postings (int32 ordinals). Others: 0.</summary>
    public long B { get; init; }

    /// <summary>entities.idx: directed co-occurrence pairs. Others: 0.</summary>
    public long C { get; init; }

    /// <summary>CRC-32C of bytes [64, file length).</summary>
    public required uint PayloadChecksum { get; init; }

    public static string FileNameOf(SegmentFileKind kind) => kind switch
    {
        SegmentFileKind.Documents => SegmentFileNames.Documents,
        SegmentFileKind.DocumentIndex => SegmentFileNames.DocumentIndex,
        _ => SegmentFileNames.Entities,
    };

    public void Encode(Span<byte> destination)
    {
        var h = destination[..Size];
        h.Clear();
        BinaryPrimitives.WriteUInt64LittleEndian(h, MagicFor(Kind));
        BinaryPrimitives.WriteUInt16LittleEndian(h[8..], FormatVersion);
        BinaryPrimitives.WriteUInt16LittleEndian(h[10..], Size);
        BinaryPrimitives.WriteInt64LittleEndian(h[16..], Count);
        BinaryPrimitives.WriteInt64LittleEndian(h[24..], FileLength);
        BinaryPrimitives.WriteInt64LittleEndian(h[32..], A);
        BinaryPrimitives.WriteInt64LittleEndian(h[40..], B);
        BinaryPrimitives.WriteInt64LittleEndian(h[48..], C);
        BinaryPrimitives.WriteUInt32LittleEndian(h[PayloadChecksumAt..], PayloadChecksum);
        BinaryPrimitives.WriteUInt32LittleEndian(h[HeaderChecksumAt..], Crc32C.Compute(h[..HeaderChecksumAt]));
    }

    /// <summary>Validates and decodes a header; <paramref name="actualLength"/> is the file's size on disk.</summary>
    public static FileHeader Decode(ReadOnlySpan<byte> source, long actualLength, SegmentFileKind kind, string path)
    {
        if (source.Length < Size || actualLength < Size)
            Corrupt(path, $"it is {actualLength} bytes, shorter than the {Size}-byte header");
        var h = source[..Size];
        if (BinaryPrimitives.ReadUInt64LittleEndian(h) != MagicFor(kind))
            Corrupt(path, "bad magic (not a " + FileNameOf(kind) + " file)");
        var storedHeaderCrc = BinaryPrimitives.ReadUInt32LittleEndian(h[HeaderChecksumAt..]);
        var headerCrc = Crc32C.Compute(h[..HeaderChecksumAt]);
        if (storedHeaderCrc != headerCrc)
            Corrupt(path, $"header checksum mismatch (stored 0x{storedHeaderCrc:x8}, computed 0x{headerCrc:x8})");
        var version = BinaryPrimitives.ReadUInt16LittleEndian(h[8..]);
        if (version != FormatVersion)
            Corrupt(path, $"unknown format version {version} (this build reads {FormatVersion})");
        var headerSize = BinaryPrimitives.ReadUInt16LittleEndian(h[10..]);
        if (headerSize != Size)
            Corrupt(path, $"header size {headerSize} (expected {Size})");
        if (BinaryPrimitives.ReadUInt32LittleEndian(h[12..]) != 0)
            Corrupt(path, "unknown flags");
        var count = BinaryPrimitives.ReadInt64LittleEndian(h[16..]);
        var fileLength = BinaryPrimitives.ReadInt64LittleEndian(h[24..]);
        var a = BinaryPrimitives.ReadInt64LittleEndian(h[32..]);
        var b = BinaryPrimitives.ReadInt64LittleEndian(h[40..]);
        var c = BinaryPrimitives.ReadInt64LittleEndian(h[48..]);
        if (fileLength != actualLength)
            Corrupt(path, $"the header says {fileLength} bytes but the file is {actualLength} (truncated or extended)");
        if (count < 0 || count > int.MaxValue)
            Corrupt(path, $"count {count} is out of range");
        if (a < 0 || b < 0 || c < 0 || (kind != SegmentFileKind.Entities && (a | b | c) != 0))
            Corrupt(path, "reserved header fields are not valid");
        return new FileHeader
        {
            Kind = kind,
            Count = count,
            FileLength = fileLength,
            A = a,
            B = b,
            C = c,
            PayloadChecksum = BinaryPrimitives.ReadUInt32LittleEndian(h[PayloadChecksumAt..]),
        };
    }

    [DoesNotReturn]
    public static void Corrupt(string path, string problem) => SegmentFilesCorruptException.Throw(path, problem);

    private static ulong MagicFor(SegmentFileKind kind) => kind switch
    {
        SegmentFileKind.Documents => s_documentsMagic,
        SegmentFileKind.DocumentIndex => s_indexMagic,
        _ => s_entitiesMagic,
    };

    private static ulong MagicOf(ReadOnlySpan<byte> text) => BinaryPrimitives.ReadUInt64LittleEndian(text);
}
