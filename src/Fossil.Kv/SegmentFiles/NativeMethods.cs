using System.Runtime.InteropServices;

namespace Fossil.Kv.SegmentFiles;

/// <summary>The POSIX call .NET does not expose that segment files need: fsync of a directory.</summary>
internal static partial class NativeMethods
{
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

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}
