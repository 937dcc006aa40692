using Fossil.Kv.Vectors.Graph;

namespace Fossil.Kv.Vectors.Storage;

/// <summary>Writes <c>vectors.dat</c> and <c>vectors.hnsw</c> from a graph's memory (layout: docs/vector-index-format.md).</summary>
internal static unsafe class IndexWriter
{
    private const int Chunk = 1 << 20;

    public static void Write(
        Stream vectorsOut, Stream graphOut, in GraphView g, VectorMetric metric, HnswParameters parameters,
        int count, long upperInts, int entryPoint, int maxLevel)
    {
        var dimension = g.Dimension;
        var flags = metric == VectorMetric.Cosine ? IndexFileHeader.FlagNormalized : 0;

        // vectors.dat: labels, then the vectors.
        var labelsBytes = (long)count * sizeof(long);
        var vectorBytes = (long)count * dimension * sizeof(float);
        var (labelsAt, vectorsAt, _, datLength) = IndexFileHeader.Layout(IndexFileKind.Vectors, count, dimension, g.MaxM0, 0);
        var datPad = vectorsAt - (labelsAt + labelsBytes);
        var datCrc = Crc(0, (byte*)g.Labels, labelsBytes);
        datCrc = CrcZeros(datCrc, datPad);
        datCrc = Crc(datCrc, (byte*)g.Vectors, vectorBytes);
        var datHeader = new IndexFileHeader
        {
            Kind = IndexFileKind.Vectors,
            Flags = flags,
            Dimension = dimension,
            Metric = metric,
            M = parameters.M,
            EfConstruction = parameters.EfConstruction,
            EntryPoint = entryPoint,
            MaxLevel = maxLevel,
            Count = count,
            FileLength = datLength,
            SectionA = labelsAt,
            SectionB = vectorsAt,
            PayloadChecksum = datCrc,
        };

        // vectors.hnsw: node info, level-0 lists, upper-layer blocks.
        var infoBytes = (long)count * 2 * sizeof(int);
        var level0Bytes = (long)count * (1 + g.MaxM0) * sizeof(int);
        var upperBytes = upperInts * sizeof(int);
        var (infoAt, level0At, upperAt, graphLength) = IndexFileHeader.Layout(IndexFileKind.Graph, count, dimension, g.MaxM0, upperInts);
        var pad1 = level0At - (infoAt + infoBytes);
        var pad2 = upperAt - (level0At + level0Bytes);
        var graphCrc = Crc(0, (byte*)g.NodeInfo, infoBytes);
        graphCrc = CrcZeros(graphCrc, pad1);
        graphCrc = Crc(graphCrc, (byte*)g.Level0, level0Bytes);
        graphCrc = CrcZeros(graphCrc, pad2);
        graphCrc = Crc(graphCrc, (byte*)g.Upper, upperBytes);
        var graphHeader = new IndexFileHeader
        {
            Kind = IndexFileKind.Graph,
            Flags = flags,
            Dimension = dimension,
            Metric = metric,
            M = parameters.M,
            EfConstruction = parameters.EfConstruction,
            EntryPoint = entryPoint,
            MaxLevel = maxLevel,
            Count = count,
            FileLength = graphLength,
            SectionA = infoAt,
            SectionB = level0At,
            SectionC = upperAt,
            UpperInts = upperInts,
            LinkedChecksum = datCrc,
            PayloadChecksum = graphCrc,
        };

        Span<byte> header = stackalloc byte[IndexFileHeader.Size];
        datHeader.Encode(header);
        vectorsOut.Write(header);
        Copy(vectorsOut, (byte*)g.Labels, labelsBytes);
        Zeros(vectorsOut, datPad);
        Copy(vectorsOut, (byte*)g.Vectors, vectorBytes);

        graphHeader.Encode(header);
        graphOut.Write(header);
        Copy(graphOut, (byte*)g.NodeInfo, infoBytes);
        Zeros(graphOut, pad1);
        Copy(graphOut, (byte*)g.Level0, level0Bytes);
        Zeros(graphOut, pad2);
        Copy(graphOut, (byte*)g.Upper, upperBytes);
    }

    /// <summary>CRC-32C of <paramref name="length"/> bytes at <paramref name="p"/>, continuing <paramref name="crc"/>.</summary>
    public static uint Crc(uint crc, byte* p, long length)
    {
        for (long offset = 0; offset < length; offset += Chunk)
            crc = Crc32C.Append(crc, new ReadOnlySpan<byte>(p + offset, (int)Math.Min(Chunk, length - offset)));
        return crc;
    }

    private static uint CrcZeros(uint crc, long length)
    {
        Span<byte> zeros = stackalloc byte[64];
        zeros.Clear();
        return Crc32C.Append(crc, zeros[..(int)length]);
    }

    private static void Copy(Stream stream, byte* p, long length)
    {
        for (long offset = 0; offset < length; offset += Chunk)
            stream.Write(new ReadOnlySpan<byte>(p + offset, (int)Math.Min(Chunk, length - offset)));
    }

    private static void Zeros(Stream stream, long length)
    {
        Span<byte> zeros = stackalloc byte[64];
        zeros.Clear();
        stream.Write(zeros[..(int)length]);
    }
}
