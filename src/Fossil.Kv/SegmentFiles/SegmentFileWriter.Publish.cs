using System.Globalization;

namespace Fossil.Kv.SegmentFiles;

public sealed partial class SegmentFileWriter
{
    /// <summary>Suffix of a replaced segment directory while it is being deleted; such leftovers may be deleted at startup.</summary>
    public const string ReplacedSuffix = ".replaced-";

    /// <summary>
    /// Moves a completed temporary segment directory to <paramref name="finalDirectory"/>, durably:
    /// fsync every file, fsync the temporary directory, rename it into place, fsync the parent. An existing
    /// directory at the destination (a bad or older copy) is first renamed aside and deleted after the new
    /// one is in place, so at every moment the destination is either absent, the old copy, or the complete new
    /// one. Both directories must be on one file system (normally siblings).
    /// </summary>
    /// <exception cref="SegmentFilesCorruptException">The temporary directory has no meta.json (it was not completed).</exception>
    public static void Publish(string temporaryDirectory, string finalDirectory)
    {
        var (source, target, parent) = Prepare(temporaryDirectory, finalDirectory);
        string? replaced = null;
        if (Directory.Exists(target))
        {
            replaced = target + ReplacedSuffix + Guid.NewGuid().ToString("N", CultureInfo.InvariantCulture);
            Directory.Move(target, replaced);
        }
        Directory.Move(source, target);
        Settle(source, parent);
        if (replaced is not null)
            Directory.Delete(replaced, recursive: true);
    }

    /// <summary>
    /// <see cref="Publish"/> for a place several writers publish to (the archive): the same durable rename, but an
    /// existing directory is left alone and false returned, so a copy a reader may be using is never swapped out.
    /// </summary>
    /// <exception cref="SegmentFilesCorruptException">The temporary directory has no meta.json (it was not completed).</exception>
    public static bool TryPublishNew(string temporaryDirectory, string finalDirectory)
    {
        var (source, target, parent) = Prepare(temporaryDirectory, finalDirectory);
        if (Directory.Exists(target)) return false;
        try
        {
            Directory.Move(source, target);
        }
        catch (IOException) when (Directory.Exists(target))
        {
            return false; // another writer's rename landed first
        }
        Settle(source, parent);
        return true;
    }

    /// <summary>Checks the directories and fsyncs every file and the temporary directory; returns full paths and the final parent.</summary>
    private static (string Source, string Target, string Parent) Prepare(string temporaryDirectory, string finalDirectory)
    {
        ArgumentException.ThrowIfNullOrEmpty(temporaryDirectory);
        ArgumentException.ThrowIfNullOrEmpty(finalDirectory);
        var source = Path.GetFullPath(temporaryDirectory).TrimEnd(Path.DirectorySeparatorChar);
        var target = Path.GetFullPath(finalDirectory).TrimEnd(Path.DirectorySeparatorChar);
        if (string.Equals(source, target, StringComparison.Ordinal))
            throw new ArgumentException("The temporary and final directories are the same.", nameof(finalDirectory));
        if (!File.Exists(Path.Combine(source, SegmentFileNames.Meta)))
            SegmentFilesCorruptException.Throw(source, "it has no meta.json, so it was never completed and cannot be published");

        foreach (var file in Directory.EnumerateFiles(source))
        {
            using var stream = new FileStream(file, FileMode.Open, FileAccess.ReadWrite, FileShare.Read);
            stream.Flush(flushToDisk: true);
        }
        NativeMethods.FsyncDirectory(source);

        var parent = Path.GetDirectoryName(target) ?? throw new ArgumentException("The final directory has no parent.", nameof(finalDirectory));
        Directory.CreateDirectory(parent);
        return (source, target, parent);
    }

    /// <summary>Makes the rename durable: fsync the new parent, and the old one when it differs.</summary>
    private static void Settle(string source, string parent)
    {
        NativeMethods.FsyncDirectory(parent);
        var sourceParent = Path.GetDirectoryName(source);
        if (sourceParent is not null && !string.Equals(sourceParent, parent, StringComparison.Ordinal))
            NativeMethods.FsyncDirectory(sourceParent);
    }

    /// <summary><see cref="Publish"/> on the thread pool (it is a handful of fsyncs and renames).</summary>
    public static Task PublishAsync(string temporaryDirectory, string finalDirectory, CancellationToken cancellationToken = default) =>
        Task.Run(() => Publish(temporaryDirectory, finalDirectory), cancellationToken);
}
