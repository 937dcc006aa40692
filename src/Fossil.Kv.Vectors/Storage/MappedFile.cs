using System.IO.MemoryMappedFiles;
using Microsoft.Win32.SafeHandles;

namespace Fossil.Kv.Vectors.Storage;

/// <summary>
/// A whole file mapped read-only, with a stable base pointer for as long as the view lives. The one
/// mapping primitive of the project: the vector index and the segment files both map through it.
/// </summary>
public sealed unsafe partial class MappedFile : IDisposable
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

    /// <summary>The file that is mapped, as given to <see cref="Open(string, long, Action{long})"/>.</summary>
    public string Path { get; }

    /// <summary>
    /// Base address of the mapping: byte 0 of the file. Valid until <see cref="Dispose"/>; a reader that may
    /// race with disposal holds a reference on <see cref="Handle"/> while it reads.
    /// </summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1720", Justification = "It is the mapping's base pointer; any other name would hide that.")]
    public byte* Pointer { get; }

    /// <summary>The file's length in bytes; every byte from <see cref="Pointer"/> up to it is mapped.</summary>
    public long Length { get; }

    /// <summary>Searches add a reference so a concurrent Dispose defers the unmap until they finish.</summary>
    public SafeMemoryMappedViewHandle Handle => _view.SafeMemoryMappedViewHandle;

    internal ReadOnlySpan<byte> Header => new(Pointer, (int)Math.Min(Length, IndexFileHeader.Size));

    /// <summary>Maps <paramref name="path"/>; a file too short to hold a header is reported corrupt.</summary>
    internal static MappedFile Open(string path) =>
        Open(path, IndexFileHeader.Size, length => IndexFileHeader.Corrupt(path, $"it is {length} bytes, shorter than the {IndexFileHeader.Size}-byte header"));

    /// <summary>
    /// Maps <paramref name="path"/> whole. A file shorter than <paramref name="minimumLength"/> is handed to
    /// <paramref name="tooShort"/>, which throws the caller's own corruption error (an empty file cannot be mapped).
    /// </summary>
    public static MappedFile Open(string path, long minimumLength, Action<long> tooShort)
    {
        ArgumentNullException.ThrowIfNull(tooShort);
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.RandomAccess);
        MemoryMappedFile? file = null;
        MemoryMappedViewAccessor? view = null;
        try
        {
            var length = stream.Length;
            if (length < minimumLength)
            {
                tooShort(length);
                throw new InvalidOperationException($"{path} is too short and the caller did not say why.");
            }
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

    /// <summary>
    /// Prefaults every page so later reads do not fault (the node's <c>segment.mmap_populate</c>): readahead
    /// advice first, then a touch per page.
    /// </summary>
    public int Populate()
    {
        WillNeed(Pointer, Length);
        var sum = 0;
        for (long offset = 0; offset < Length; offset += 4096)
            sum += Pointer[offset];
        return sum;
    }

    /// <summary>
    /// Releases the pointer and the mapping. May be called more than once, but not from two threads at once;
    /// readers that hold a reference on <see cref="Handle"/> keep the memory mapped until they release it.
    /// </summary>
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

    /// <summary>Asks the kernel to read a mapped range ahead (best effort; errors are ignored).</summary>
    private static void WillNeed(byte* address, long length)
    {
        if (!OperatingSystem.IsLinux() || length <= 0) return;
        try
        {
            _ = Madvise((nint)address, (nuint)length, MadvWillNeed);
        }
        catch (EntryPointNotFoundException)
        {
        }
        catch (DllNotFoundException)
        {
        }
    }

    private const int MadvWillNeed = 3;

    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "madvise", SetLastError = true)]
    private static partial int Madvise(nint address, nuint length, int advice);
}
