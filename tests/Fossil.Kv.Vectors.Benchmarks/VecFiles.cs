using System.Buffers.Binary;

namespace Fossil.Kv.Vectors.Benchmarks;

/// <summary>The TEXMEX <c>.fvecs</c> / <c>.ivecs</c> formats: per vector, an int32 dimension then that many 4-byte values.</summary>
internal static class VecFiles
{
    public static float[][] ReadFvecs(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var rows = new List<float[]>();
        var offset = 0;
        while (offset < bytes.Length)
        {
            var dim = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(offset));
            if (dim <= 0 || offset + 4 + (4L * dim) > bytes.Length)
                throw new InvalidDataException($"{path}: bad record at byte {offset} (dimension {dim}).");
            var row = new float[dim];
            for (var i = 0; i < dim; i++)
                row[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(offset + 4 + (4 * i)));
            rows.Add(row);
            offset += 4 + (4 * dim);
        }
        return [.. rows];
    }

    public static int[][] ReadIvecs(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var rows = new List<int[]>();
        var offset = 0;
        while (offset < bytes.Length)
        {
            var dim = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(offset));
            if (dim <= 0 || offset + 4 + (4L * dim) > bytes.Length)
                throw new InvalidDataException($"{path}: bad record at byte {offset} (length {dim}).");
            var row = new int[dim];
            for (var i = 0; i < dim; i++)
                row[i] = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(offset + 4 + (4 * i)));
            rows.Add(row);
            offset += 4 + (4 * dim);
        }
        return [.. rows];
    }

    public static void WriteFvecs(string path, IReadOnlyList<float[]> rows)
    {
        using var stream = new BufferedStream(File.Create(path), 1 << 20);
        Span<byte> four = stackalloc byte[4];
        foreach (var row in rows)
        {
            BinaryPrimitives.WriteInt32LittleEndian(four, row.Length);
            stream.Write(four);
            foreach (var v in row)
            {
                BinaryPrimitives.WriteSingleLittleEndian(four, v);
                stream.Write(four);
            }
        }
    }

    public static void WriteIvecs(string path, IReadOnlyList<int[]> rows)
    {
        using var stream = new BufferedStream(File.Create(path), 1 << 20);
        Span<byte> four = stackalloc byte[4];
        foreach (var row in rows)
        {
            BinaryPrimitives.WriteInt32LittleEndian(four, row.Length);
            stream.Write(four);
            foreach (var v in row)
            {
                BinaryPrimitives.WriteInt32LittleEndian(four, v);
                stream.Write(four);
            }
        }
    }
}
