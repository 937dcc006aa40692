using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;

namespace Fossil.Kv.Vectors.Storage;

/// <summary>Which of the two index files a header belongs to.</summary>
internal enum IndexFileKind
{
    /// <summary><c>vectors.dat</c>: labels and raw vectors.</summary>
    Vectors,

    /// <summary><c>vectors.hnsw</c>: node levels and link lists.</summary>
    Graph,
}

/// <summary>
/// The 128-byte header both files start with. The byte layout is documented in
/// docs/vector-index-format.md; keep the two in sync.
/// </summary>
internal sealed class IndexFileHeader
{
    public const int Size = 128;
    public const ushort CurrentVersion = 1;
    public const string VectorsFileName = "vectors.dat";
    public const string GraphFileName = "vectors.hnsw";
    public const uint FlagNormalized = 1;

    // "FKVVDAT\0" and "FKVHNSW\0" read as little-endian u64.
    public const ulong VectorsMagic = 0x0054414456564B46;
    public const ulong GraphMagic = 0x0057534E48564B46;

    private const int MaxDimension = 65536;
    private const int MaxLevelLimit = 64;

    public IndexFileKind Kind { get; init; }

    public uint Flags { get; init; }

    public int Dimension { get; init; }

    public VectorMetric Metric { get; init; }

    public int M { get; init; }

    public int EfConstruction { get; init; }

    public int MaxM0 => 2 * M;

    public int EntryPoint { get; init; }

    public int MaxLevel { get; init; }

    public long Count { get; init; }

    public long FileLength { get; init; }

    public long SectionA { get; init; }

    public long SectionB { get; init; }

    public long SectionC { get; init; }

    public long UpperInts { get; init; }

    public uint LinkedChecksum { get; init; }

    public uint PayloadChecksum { get; init; }

    /// <summary>Section offsets and total length for the given shape; the only layout the reader accepts.</summary>
    public static (long A, long B, long C, long Length) Layout(IndexFileKind kind, long count, int dimension, int maxM0, long upperInts)
    {
        if (kind == IndexFileKind.Vectors)
        {
            var labels = (long)Size;
            var vectors = Align64(labels + (count * sizeof(long)));
            return (labels, vectors, 0, vectors + (count * dimension * sizeof(float)));
        }
        var nodeInfo = (long)Size;
        var level0 = Align64(nodeInfo + (count * 2 * sizeof(int)));
        var upper = Align64(level0 + (count * (1 + maxM0) * sizeof(int)));
        return (nodeInfo, level0, upper, upper + (upperInts * sizeof(int)));
    }

    public static long Align64(long offset) => (offset + 63) & ~63L;

    public void Encode(Span<byte> destination)
    {
        var h = destination[..Size];
        h.Clear();
        BinaryPrimitives.WriteUInt64LittleEndian(h, Kind == IndexFileKind.Vectors ? VectorsMagic : GraphMagic);
        BinaryPrimitives.WriteUInt16LittleEndian(h[8..], CurrentVersion);
        BinaryPrimitives.WriteUInt16LittleEndian(h[10..], Size);
        BinaryPrimitives.WriteUInt32LittleEndian(h[12..], Flags);
        BinaryPrimitives.WriteInt32LittleEndian(h[16..], Dimension);
        BinaryPrimitives.WriteInt32LittleEndian(h[20..], (int)Metric);
        BinaryPrimitives.WriteInt32LittleEndian(h[24..], M);
        BinaryPrimitives.WriteInt32LittleEndian(h[28..], EfConstruction);
        BinaryPrimitives.WriteInt32LittleEndian(h[32..], MaxM0);
        BinaryPrimitives.WriteInt32LittleEndian(h[36..], EntryPoint);
        BinaryPrimitives.WriteInt32LittleEndian(h[40..], MaxLevel);
        BinaryPrimitives.WriteInt64LittleEndian(h[48..], Count);
        BinaryPrimitives.WriteInt64LittleEndian(h[56..], FileLength);
        BinaryPrimitives.WriteInt64LittleEndian(h[64..], SectionA);
        BinaryPrimitives.WriteInt64LittleEndian(h[72..], SectionB);
        BinaryPrimitives.WriteInt64LittleEndian(h[80..], SectionC);
        BinaryPrimitives.WriteInt64LittleEndian(h[88..], UpperInts);
        BinaryPrimitives.WriteUInt32LittleEndian(h[96..], LinkedChecksum);
        BinaryPrimitives.WriteUInt32LittleEndian(h[120..], PayloadChecksum);
        BinaryPrimitives.WriteUInt32LittleEndian(h[124..], Crc32C.Compute(h[..124]));
    }

    /// <summary>Validates and decodes a header; every failure is a <see cref="VectorIndexCorruptException"/> naming <paramref name="path"/>.</summary>
    /// <remarks><paramref name="header"/> is the file's first bytes, <paramref name="actualLength"/> its length on disk.</remarks>
    public static IndexFileHeader Decode(ReadOnlySpan<byte> header, long actualLength, IndexFileKind kind, string path)
    {
        if (actualLength < Size || header.Length < Size)
            Corrupt(path, $"it is {actualLength} bytes, shorter than the {Size}-byte header");
        var h = header[..Size];
        var magic = BinaryPrimitives.ReadUInt64LittleEndian(h);
        var expectedMagic = kind == IndexFileKind.Vectors ? VectorsMagic : GraphMagic;
        if (magic != expectedMagic)
            Corrupt(path, $"bad magic 0x{magic:X16} (expected 0x{expectedMagic:X16}, for {(kind == IndexFileKind.Vectors ? VectorsFileName : GraphFileName)})");
        var version = BinaryPrimitives.ReadUInt16LittleEndian(h[8..]);
        if (version != CurrentVersion)
            Corrupt(path, $"format version {version} is not supported (this build reads version {CurrentVersion})");
        var storedHeaderCrc = BinaryPrimitives.ReadUInt32LittleEndian(h[124..]);
        var actualHeaderCrc = Crc32C.Compute(h[..124]);
        if (storedHeaderCrc != actualHeaderCrc)
            Corrupt(path, $"header checksum mismatch (stored 0x{storedHeaderCrc:X8}, computed 0x{actualHeaderCrc:X8})");

        var headerSize = BinaryPrimitives.ReadUInt16LittleEndian(h[10..]);
        var flags = BinaryPrimitives.ReadUInt32LittleEndian(h[12..]);
        var dimension = BinaryPrimitives.ReadInt32LittleEndian(h[16..]);
        var metric = BinaryPrimitives.ReadInt32LittleEndian(h[20..]);
        var m = BinaryPrimitives.ReadInt32LittleEndian(h[24..]);
        var efConstruction = BinaryPrimitives.ReadInt32LittleEndian(h[28..]);
        var maxM0 = BinaryPrimitives.ReadInt32LittleEndian(h[32..]);
        var entryPoint = BinaryPrimitives.ReadInt32LittleEndian(h[36..]);
        var maxLevel = BinaryPrimitives.ReadInt32LittleEndian(h[40..]);
        var reserved44 = BinaryPrimitives.ReadInt32LittleEndian(h[44..]);
        var count = BinaryPrimitives.ReadInt64LittleEndian(h[48..]);
        var fileLength = BinaryPrimitives.ReadInt64LittleEndian(h[56..]);
        var sectionA = BinaryPrimitives.ReadInt64LittleEndian(h[64..]);
        var sectionB = BinaryPrimitives.ReadInt64LittleEndian(h[72..]);
        var sectionC = BinaryPrimitives.ReadInt64LittleEndian(h[80..]);
        var upperInts = BinaryPrimitives.ReadInt64LittleEndian(h[88..]);
        var linked = BinaryPrimitives.ReadUInt32LittleEndian(h[96..]);
        var payloadCrc = BinaryPrimitives.ReadUInt32LittleEndian(h[120..]);

        if (headerSize != Size)
            Corrupt(path, $"header size {headerSize} (expected {Size})");
        if ((flags & ~FlagNormalized) != 0)
            Corrupt(path, $"unknown flags 0x{flags:X8}");
        if (dimension < 1 || dimension > MaxDimension)
            Corrupt(path, $"dimension {dimension} is out of range 1..{MaxDimension}");
        if (metric is < 0 or > (int)VectorMetric.InnerProduct)
            Corrupt(path, $"unknown metric {metric}");
        if (((flags & FlagNormalized) != 0) != (metric == (int)VectorMetric.Cosine))
            Corrupt(path, "the normalized flag does not match the metric");
        if (m < 2 || m > HnswParameters.MaxM)
            Corrupt(path, $"M {m} is out of range 2..{HnswParameters.MaxM}");
        if (maxM0 != 2 * m)
            Corrupt(path, $"maxM0 {maxM0} is not 2*M ({2 * m})");
        if (efConstruction < 1)
            Corrupt(path, $"efConstruction {efConstruction} is not positive");
        if (count < 0 || count > int.MaxValue)
            Corrupt(path, $"count {count} is out of range");
        if (count == 0 ? entryPoint != -1 || maxLevel != -1 : entryPoint < 0 || entryPoint >= count || maxLevel < 0 || maxLevel > MaxLevelLimit)
            Corrupt(path, $"entry point {entryPoint} / max level {maxLevel} do not fit count {count}");
        if (upperInts < 0 || (kind == IndexFileKind.Vectors && upperInts != 0) || upperInts > (long)int.MaxValue)
            Corrupt(path, $"upper-layer length {upperInts} is out of range");
        if (reserved44 != 0 || !IsZero(h[100..120]) || (kind == IndexFileKind.Vectors && linked != 0))
            Corrupt(path, "reserved header bytes are not zero");

        var (a, b, c, length) = Layout(kind, count, dimension, maxM0, upperInts);
        if (sectionA != a || sectionB != b || sectionC != c)
            Corrupt(path, $"section offsets {sectionA}/{sectionB}/{sectionC} do not match the layout ({a}/{b}/{c})");
        if (fileLength != length)
            Corrupt(path, $"header says {fileLength} bytes but count and dimension need {length}");
        if (actualLength != fileLength)
            Corrupt(path, $"the file is {actualLength} bytes but its header says {fileLength} (truncated or extended)");

        return new IndexFileHeader
        {
            Kind = kind,
            Flags = flags,
            Dimension = dimension,
            Metric = (VectorMetric)metric,
            M = m,
            EfConstruction = efConstruction,
            EntryPoint = entryPoint,
            MaxLevel = maxLevel,
            Count = count,
            FileLength = fileLength,
            SectionA = sectionA,
            SectionB = sectionB,
            SectionC = sectionC,
            UpperInts = upperInts,
            LinkedChecksum = linked,
            PayloadChecksum = payloadCrc,
        };
    }

    /// <summary>Checks that the graph header describes the same index as the vectors header.</summary>
    public void EnsureMatches(IndexFileHeader vectors, string path)
    {
        if (Dimension != vectors.Dimension || Metric != vectors.Metric || Count != vectors.Count || M != vectors.M
            || EfConstruction != vectors.EfConstruction || EntryPoint != vectors.EntryPoint || MaxLevel != vectors.MaxLevel
            || Flags != vectors.Flags)
            Corrupt(path, $"its header does not match {VectorsFileName} (dimension, metric, count, M, efConstruction, entry point or max level differ)");
        if (LinkedChecksum != vectors.PayloadChecksum)
            Corrupt(path, $"it was not written together with this {VectorsFileName} (linked checksum 0x{LinkedChecksum:X8}, {VectorsFileName} has 0x{vectors.PayloadChecksum:X8})");
    }

    [DoesNotReturn]
    public static void Corrupt(string path, string problem) => VectorIndexCorruptException.Throw(path, problem);

    private static bool IsZero(ReadOnlySpan<byte> bytes) => !bytes.ContainsAnyExcept((byte)0);
}
