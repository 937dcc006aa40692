using System.IO.MemoryMappedFiles;
using Microsoft.Win32.SafeHandles;

namespace Fossil.Kv.Vectors.Storage;

/// <summary>A whole file mapped read-only, with a stable base pointer for as long as the view lives.</summary>
internal sealed unsafe class MappedFile : IDisposable
{
    private readonly MemoryMappedFile _file;
    private readonly MemoryMappedViewAccessor _view;
    private bool _pointerAcquired;

    private MappedFile(string path, MemoryMappedFile file, MemoryMappedViewAccessor view, byte* pointer, long length)
    {
        Path = path;
        _file = file;
        _view = view;
        Pointer = pointer;
        Length = length;
        _pointerAcquired = true;
    }

    public string Path { get; }

    public byte* Pointer { get; }

    public long Length { get; }

    /// <summary>Searches add a reference so a concurrent Dispose defers the unmap until they finish.</summary>
    public SafeMemoryMappedViewHandle Handle => _view.SafeMemoryMappedViewHandle;

    public ReadOnlySpan<byte> Header => new(Pointer, (int)Math.Min(Length, IndexFileHeader.Size));

    /// <summary>Maps <paramref name="path"/>; a file too short to hold a header is reported corrupt.</summary>
    public static MappedFile Open(string path)
    {
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.RandomAccess);
        MemoryMappedFile? file = null;
        MemoryMappedViewAccessor? view = null;
        try
        {
            var length = stream.Length;
            if (length < IndexFileHeader.Size)
                IndexFileHeader.Corrupt(path, $"it is {length} bytes, shorter than the {IndexFileHeader.Size}-byte header");
            file = MemoryMappedFile.CreateFromFile(stream, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: false);
            stream = null;
            view = file.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
            byte* p = null;
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
            return new MappedFile(path, file, view, p + view.PointerOffset, length);
        }
        catch
        {
            view?.Dispose();
            file?.Dispose();
            stream?.Dispose();
            throw;
        }
    }

    /// <summary>Touches every page so later searches do not fault (the node's <c>segment.mmap_populate</c>).</summary>
    public int Prefault()
    {
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
}
