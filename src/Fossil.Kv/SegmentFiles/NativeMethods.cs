using System.Runtime.InteropServices;

namespace Fossil.Kv.SegmentFiles;

/// <summary>The few POSIX calls .NET does not expose: fsync of a directory and madvise.</summary>
internal static partial class NativeMethods
{
    private const int MadvWillNeed = 3;

    /// <summary>fsync a directory so a rename or a new entry in it is durable. No-op where directories cannot be synced.</summary>
    public static void FsyncDirectory(string path)
    {
        if (OperatingSystem.IsWindows())
            return; // NTFS journals metadata; a directory cannot be opened for flushing here.
        var fd = Open(path, 0 /* O_RDONLY */);
        if (fd < 0)
            throw new IOException($"Cannot open directory '{path}' to fsync it (errno {Marshal.GetLastPInvokeError()}).");
        try
        {
            if (Fsync(fd) != 0)
                throw new IOException($"fsync of directory '{path}' failed (errno {Marshal.GetLastPInvokeError()}).");
        }
        finally
        {
            _ = Close(fd);
        }
    }

    /// <summary>Asks the kernel to read a mapped range ahead (best effort; errors are ignored).</summary>
    public static unsafe void WillNeed(byte* address, long length)
    {
        if (!OperatingSystem.IsLinux() || length <= 0)
            return;
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

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "madvise", SetLastError = true)]
    private static partial int Madvise(nint address, nuint length, int advice);
}
