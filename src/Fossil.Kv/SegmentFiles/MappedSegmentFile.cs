using System.Buffers;
using System.IO.MemoryMappedFiles;

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

    private readonly MemoryMappedFile _file;
    private readonly MemoryMappedViewAccessor _view;
    private readonly ChunkManager[] _chunks;
    private bool _pointerAcquired;

    private MappedSegmentFile(string path, MemoryMappedFile file, MemoryMappedViewAccessor view, byte* pointer, long length)
    {
        Path = path;
        _file = file;
        _view = view;
        Pointer = pointer;
        Length = length;
        _pointerAcquired = true;
        _chunks = new ChunkManager[(int)((length + (1L << ChunkShift) - 1) >> ChunkShift)];
        for (var i = 0; i < _chunks.Length; i++)
        {
            var start = (long)i << ChunkShift;
            _chunks[i] = new ChunkManager(pointer + start, (int)Math.Min(int.MaxValue, length - start));
        }
    }

    public string Path { get; }

    public byte* Pointer { get; }

    public long Length { get; }

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
        FileStream? stream;
        try
        {
            stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.RandomAccess);
        }
        catch (FileNotFoundException e)
        {
            throw new SegmentFilesCorruptException(path, "the file is missing", e);
        }
        MemoryMappedFile? file = null;
        MemoryMappedViewAccessor? view = null;
        try
        {
            var length = stream.Length;
            if (length < minimumLength)
                FileHeader.Corrupt(path, $"it is {length} bytes, shorter than the {minimumLength}-byte header");
            file = MemoryMappedFile.CreateFromFile(stream, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: false);
            stream = null;
            view = file.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
            byte* p = null;
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
            return new MappedSegmentFile(path, file, view, p + view.PointerOffset, length);
        }
        catch
        {
            view?.Dispose();
            file?.Dispose();
            stream?.Dispose();
            throw;
        }
    }

    /// <summary>Prefaults every page (the node's <c>segment.mmap_populate</c>): readahead advice, then a touch per page.</summary>
    public int Populate()
    {
        NativeMethods.WillNeed(Pointer, Length);
        var sum = 0;
        for (long offset = 0; offset < Length; offset += 4096)
            sum += Pointer[offset];
        return sum;
    }

    public void Dispose()
    {
        if (_pointerAcquired)
        {
            _pointerAcquired = false;
            _view.SafeMemoryMappedViewHandle.ReleasePointer();
        }
        _view.Dispose();
        _file.Dispose();
    }

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
