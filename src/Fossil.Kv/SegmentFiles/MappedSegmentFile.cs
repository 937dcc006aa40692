using System.Buffers;
using Fossil.Kv.Vectors.Storage;

namespace Fossil.Kv.SegmentFiles;

/// <summary>
/// One segment file mapped read-only with a stable base pointer, and <see cref="Memory"/> slices over it
/// for zero-copy hand-out. Slices stay valid until <see cref="Dispose"/> unmaps the file.
/// </summary>
internal sealed unsafe class MappedSegmentFile : IDisposable
{
    // Memory<T> is int-indexed, so a file is covered by managers starting every 1 GiB, each up to 2 GiB - 1
    // long: any range shorter than 1 GiB lies wholly inside the manager of the chunk it starts in.
    private const int ChunkShift = 30;

    private readonly MappedFile _mapping;
    private readonly ChunkManager[] _chunks;

    private MappedSegmentFile(MappedFile mapping)
    {
        _mapping = mapping;
        var length = mapping.Length;
        _chunks = new ChunkManager[(int)((length + (1L << ChunkShift) - 1) >> ChunkShift)];
        for (var i = 0; i < _chunks.Length; i++)
        {
            var start = (long)i << ChunkShift;
            _chunks[i] = new ChunkManager(mapping.Pointer + start, (int)Math.Min(int.MaxValue, length - start));
        }
    }

    public string Path => _mapping.Path;

    public byte* Pointer => _mapping.Pointer;

    public long Length => _mapping.Length;

    public ReadOnlySpan<byte> Span(long offset, int length) => new(Pointer + offset, length);

    /// <summary>A zero-copy slice; the caller has checked <paramref name="offset"/> + <paramref name="length"/> ≤ Length and length &lt; 1 GiB.</summary>
    public ReadOnlyMemory<byte> Memory(long offset, int length)
    {
        var chunk = _chunks[(int)(offset >> ChunkShift)];
        return chunk.Memory.Slice((int)(offset & ((1L << ChunkShift) - 1)), length);
    }

    /// <summary>Maps a whole file; a missing file is reported as corrupt (the directory is incomplete).</summary>
    public static MappedSegmentFile Open(string path, int minimumLength)
    {
        try
        {
            return new MappedSegmentFile(MappedFile.Open(path, minimumLength,
                length => FileHeader.Corrupt(path, $"it is {length} bytes, shorter than the {minimumLength}-byte header")));
        }
        catch (FileNotFoundException e)
        {
            throw new SegmentFilesCorruptException(path, "the file is missing", e);
        }
    }

    /// <summary>Prefaults every page (the node's <c>segment.mmap_populate</c>).</summary>
    public int Populate() => _mapping.Populate();

    public void Dispose() => _mapping.Dispose();

    /// <summary>Exposes mapped memory as <see cref="Memory{T}"/>; the mapping's owner controls its lifetime.</summary>
    private sealed class ChunkManager(byte* pointer, int length) : MemoryManager<byte>
    {
        public override Span<byte> GetSpan() => new(pointer, length);

        public override MemoryHandle Pin(int elementIndex = 0) => new(pointer + elementIndex);

        public override void Unpin()
        {
        }

        protected override void Dispose(bool disposing)
        {
        }
    }
}
