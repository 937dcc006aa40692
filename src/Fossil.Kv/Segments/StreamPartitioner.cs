using System.Text;

namespace Fossil.Kv.Segments;

/// <summary>
/// Maps a stream to its space partition. The hash is part of the data format: changing it would move
/// streams between partitions, so it is fixed (FNV-1a 64 over the UTF-8 name, then the murmur3 64-bit
/// finalizer so that names differing in their last bytes spread over all partitions).
/// </summary>
public static class StreamPartitioner
{
    /// <summary>The fixed 64-bit hash of <paramref name="stream"/> described above; stable across processes and versions.</summary>
    public static ulong Hash(string stream)
    {
        Span<byte> buffer = stackalloc byte[1024];
        var byteCount = Encoding.UTF8.GetByteCount(stream);
        var bytes = byteCount <= buffer.Length ? buffer[..byteCount] : new byte[byteCount];
        Encoding.UTF8.GetBytes(stream, bytes);
        var hash = 14695981039346656037UL;
        foreach (var b in bytes)
        {
            hash ^= b;
            hash *= 1099511628211UL;
        }
        hash ^= hash >> 33;
        hash *= 0xff51afd7ed558ccdUL;
        hash ^= hash >> 33;
        hash *= 0xc4ceb9fe1a85ec53UL;
        hash ^= hash >> 33;
        return hash;
    }

    /// <summary>The partition, 0 to <paramref name="partitions"/> - 1, that <paramref name="stream"/> is written to.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="partitions"/> is less than 1.</exception>
    public static int PartitionOf(string stream, int partitions)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(partitions, 1);
        return (int)(Hash(stream) % (ulong)partitions);
    }
}
