using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using Fossil.Kv.SegmentFiles;
using Fossil.Kv.Segments;

namespace Fossil.Kv.Lifecycle;

/// <summary>
/// The archive (<c>segment.archive</c>, a directory every node can reach): sealed segments' verified files are
/// published to <c>&lt;archive&gt;/&lt;sid&gt;/</c> and fetched from there by nodes that lack them (ADR 0006).
/// Both directions copy into a temporary directory, verify every checksum, and rename into place, so nobody
/// ever sees a half copy; a damaged archived copy is an error, never served.
/// </summary>
internal sealed partial class LocalSegments
{
    /// <summary>A publisher that crashed leaves its temporary directory in the archive; others may still be copying theirs.</summary>
    private static readonly TimeSpan AbandonedAfter = TimeSpan.FromHours(1);

    private readonly ConcurrentDictionary<SegmentId, bool> _archiveComplete = new();

    /// <summary>Whether this node saw the segment archived with its keys out of etcd; a state that never reverts, so rounds skip it.</summary>
    public bool IsArchiveComplete(SegmentId segment) => _archiveComplete.ContainsKey(segment);

    public void MarkArchiveComplete(SegmentId segment) => _archiveComplete[segment] = true;

    /// <summary>The archive directory; null when this node has none.</summary>
    public string? ArchiveRoot => context.Options.Segment.Archive is { Length: > 0 } archive ? Path.GetFullPath(archive) : null;

    public string? ArchiveDirectoryOf(SegmentId segment) => ArchiveRoot is { } root ? Path.Combine(root, segment.ToString()) : null;

    /// <summary>Whether the archive holds a completed copy of the segment (meta.json is written last).</summary>
    public bool IsInArchive(SegmentId segment) =>
        ArchiveDirectoryOf(segment) is { } directory && File.Exists(Path.Combine(directory, SegmentFileNames.Meta));

    /// <summary>
    /// The segment's files on this node, fetched from the archive first when this node lacks them and the archive
    /// has them; null when neither has them (the segment is then read from etcd).
    /// </summary>
    /// <param name="segment">The segment.</param>
    /// <param name="expectedChecksum">The archived copy's meta.json checksum from the segment record, when known.</param>
    /// <param name="cancellationToken">Cancels the fetch.</param>
    /// <exception cref="SegmentFilesCorruptException">The archived copy is damaged or is not the recorded one.</exception>
    public async ValueTask<SegmentFileSet?> GetOrFetchAsync(SegmentId segment, string? expectedChecksum, CancellationToken cancellationToken)
    {
        if (TryGet(segment) is { } set) return set;
        if (!IsInArchive(segment)) return null;
        return await FetchAsync(segment, expectedChecksum, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Copies the archived files into a temporary directory, verifies them, and renames them into place; null when the archive has no copy.</summary>
    private async Task<SegmentFileSet?> FetchAsync(SegmentId segment, string? expectedChecksum, CancellationToken cancellationToken)
    {
        if (ArchiveDirectoryOf(segment) is not { } source) return null;
        await _building.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            CleanLeftoversOnce();
            if (TryGet(segment) is { } present) return present;
            if (!IsInArchive(segment)) return null;
            var temporary = Path.Combine(Root, $"{TemporaryPrefix}{segment}-{Guid.NewGuid():N}");
            try
            {
                await Task.Run(() =>
                {
                    CopySegmentFiles(source, temporary);
                    VerifyCopy(temporary, segment, expectedChecksum, blame: source);
                    SegmentFileWriter.Publish(temporary, DirectoryOf(segment));
                }, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                if (Directory.Exists(temporary)) Directory.Delete(temporary, recursive: true);
            }
            if (_open.TryRemove(segment, out var stale)) Retire(stale);
            return TryGet(segment);
        }
        finally
        {
            _building.Release();
        }
    }

    /// <summary>
    /// Publishes this node's verified copy of a sealed segment to <c>&lt;archive&gt;/&lt;sid&gt;/</c>, unless a verified
    /// copy is already there (another node's, or this node's before a crash). Returns the published directory and the
    /// meta.json checksum of the copy the archive now holds.
    /// </summary>
    /// <exception cref="InvalidOperationException">This node has no archive, or no local copy of the segment.</exception>
    public Task<(string Directory, string Checksum)> PublishToArchiveAsync(SegmentId segment, CancellationToken cancellationToken)
    {
        var target = ArchiveDirectoryOf(segment) ?? throw new InvalidOperationException("No segment.archive is configured on this node.");
        var local = TryGet(segment) ?? throw new InvalidOperationException($"Segment {segment} is not materialized on this node.");
        var archiveRoot = ArchiveRoot!;
        return Task.Run(() =>
        {
            if (TryVerifyCopy(target, segment, out var existing)) return (target, existing);
            Directory.CreateDirectory(archiveRoot);
            RemoveAbandonedTemporaries(archiveRoot);
            var temporary = Path.Combine(archiveRoot, $"{TemporaryPrefix}{segment}-{Guid.NewGuid():N}");
            try
            {
                CopySegmentFiles(local.Directory, temporary);
                VerifyCopy(temporary, segment, expectedChecksum: null, blame: temporary);
                // A valid copy another node published meanwhile is kept (readers may be fetching it); a damaged one is replaced.
                if (!SegmentFileWriter.TryPublishNew(temporary, target) && !TryVerifyCopy(target, segment, out _))
                    SegmentFileWriter.Publish(temporary, target);
            }
            finally
            {
                if (Directory.Exists(temporary)) Directory.Delete(temporary, recursive: true);
            }
            return (target, VerifyCopy(target, segment, expectedChecksum: null, blame: target));
        }, cancellationToken);
    }

    /// <summary>
    /// Removes the segment's archived copy: renamed aside first, so it vanishes at once even if the delete is cut short.
    /// A node without <c>segment.archive</c> (an admin CLI, say) uses the directory the record names.
    /// </summary>
    public void DropFromArchive(SegmentId segment, string? recordedDirectory = null)
    {
        var directory = ArchiveDirectoryOf(segment)
            ?? (recordedDirectory is not null && Path.GetFileName(recordedDirectory.TrimEnd(Path.DirectorySeparatorChar)) == segment.ToString() ? recordedDirectory : null);
        if (directory is null || !Directory.Exists(directory)) return;
        var aside = directory + SegmentFileWriter.ReplacedSuffix + Guid.NewGuid().ToString("N", CultureInfo.InvariantCulture);
        Directory.Move(directory, aside);
        Directory.Delete(aside, recursive: true);
    }

    private static void CopySegmentFiles(string source, string destination)
    {
        Directory.CreateDirectory(destination);
        // meta.json last, as the writer does: a copy cut short has none and is never taken for complete.
        foreach (var name in SegmentFileNames.DataFiles.Append(SegmentFileNames.Meta))
        {
            var from = Path.Combine(source, name);
            if (!File.Exists(from)) SegmentFilesCorruptException.Throw(from, "the file is missing");
            File.Copy(from, Path.Combine(destination, name));
        }
    }

    /// <summary>Opens the copy with full verification; returns its meta.json checksum. Failures name <paramref name="blame"/>.</summary>
    private static string VerifyCopy(string directory, SegmentId segment, string? expectedChecksum, string blame)
    {
        try
        {
            using var set = SegmentFileSet.Open(directory, populate: false, verify: true);
            if (set.Meta.SegmentId != segment.ToString())
                SegmentFilesCorruptException.Throw(blame, $"it holds segment {set.Meta.SegmentId}, not {segment}");
            if (expectedChecksum is not null && !string.Equals(set.Meta.Checksum, expectedChecksum, StringComparison.Ordinal))
                SegmentFilesCorruptException.Throw(blame, $"its meta.json checksum is {set.Meta.Checksum} but the segment record names {expectedChecksum}");
            return set.Meta.Checksum;
        }
        catch (SegmentFilesCorruptException e) when (!e.FilePath.StartsWith(blame, StringComparison.Ordinal))
        {
            throw new SegmentFilesCorruptException(blame, e.Problem, e);
        }
        catch (DirectoryNotFoundException e)
        {
            throw new SegmentFilesCorruptException(blame, "the directory is missing", e);
        }
    }

    private static bool TryVerifyCopy(string directory, SegmentId segment, [NotNullWhen(true)] out string? checksum)
    {
        checksum = null;
        if (!Directory.Exists(directory)) return false;
        try
        {
            checksum = VerifyCopy(directory, segment, expectedChecksum: null, blame: directory);
            return true;
        }
        catch (SegmentFilesCorruptException)
        {
            return false;
        }
    }

    private static void RemoveAbandonedTemporaries(string archiveRoot)
    {
        foreach (var directory in Directory.EnumerateDirectories(archiveRoot))
        {
            var name = Path.GetFileName(directory);
            if (!name.StartsWith(TemporaryPrefix, StringComparison.Ordinal) && !name.Contains(SegmentFileWriter.ReplacedSuffix, StringComparison.Ordinal)) continue;
            if (DateTime.UtcNow - Directory.GetLastWriteTimeUtc(directory) < AbandonedAfter) continue;
            try
            {
                Directory.Delete(directory, recursive: true);
            }
            catch (DirectoryNotFoundException)
            {
                // Another node cleaned it first.
            }
        }
    }
}
