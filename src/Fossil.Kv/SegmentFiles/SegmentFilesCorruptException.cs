using System.Diagnostics.CodeAnalysis;

namespace Fossil.Kv.SegmentFiles;

/// <summary>
/// A sealed segment's directory is incomplete or damaged: a file is missing, truncated, fails its
/// checksum, is malformed, or does not belong with the others. The directory must be re-materialized.
/// </summary>
public sealed class SegmentFilesCorruptException : IOException
{
    /// <summary>Corrupt files with neither path nor problem known; prefer the constructor that names both.</summary>
    public SegmentFilesCorruptException()
        : this("(unknown)", "the segment files are corrupt")
    {
    }

    /// <summary>Corrupt files whose path is unknown; <paramref name="message"/> says what is wrong.</summary>
    public SegmentFilesCorruptException(string message)
        : this("(unknown)", message)
    {
    }

    /// <summary>Corrupt files whose path is unknown, found through <paramref name="innerException"/>.</summary>
    public SegmentFilesCorruptException(string message, Exception innerException)
        : base(message, innerException)
    {
        FilePath = "(unknown)";
        Problem = message;
    }

    /// <summary>The file (or directory) at <paramref name="filePath"/> is corrupt; <paramref name="problem"/> says how (a phrase, no final period).</summary>
    public SegmentFilesCorruptException(string filePath, string problem, Exception? innerException = null)
        : base($"Segment file '{filePath}' is corrupt: {problem}.", innerException)
    {
        FilePath = filePath;
        Problem = problem;
    }

    /// <summary>The file that failed validation (or the directory, when the problem is the directory).</summary>
    public string FilePath { get; }

    /// <summary>What is wrong with it.</summary>
    public string Problem { get; }

    [DoesNotReturn]
    internal static void Throw(string filePath, string problem) => throw new SegmentFilesCorruptException(filePath, problem);
}
