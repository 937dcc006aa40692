using System.Diagnostics.CodeAnalysis;

namespace Fossil.Kv.Vectors;

/// <summary>A vector index file is malformed, truncated, fails its checksum or disagrees with its sibling file.</summary>
public sealed class VectorIndexCorruptException : IOException
{
    /// <summary>A corrupt file with neither path nor problem known; prefer the constructor that names both.</summary>
    public VectorIndexCorruptException()
        : this("(unknown)", "the file is corrupt")
    {
    }

    /// <summary>A corrupt file whose path is unknown; <paramref name="message"/> says what is wrong.</summary>
    public VectorIndexCorruptException(string message)
        : this("(unknown)", message)
    {
    }

    /// <summary>A corrupt file whose path is unknown, found through <paramref name="innerException"/>.</summary>
    public VectorIndexCorruptException(string message, Exception innerException)
        : base(message, innerException)
    {
        FilePath = "(unknown)";
        Problem = message;
    }

    /// <summary>The file at <paramref name="filePath"/> is corrupt; <paramref name="problem"/> says how (a phrase, no final period).</summary>
    public VectorIndexCorruptException(string filePath, string problem)
        : base($"Vector index file '{filePath}' is corrupt: {problem}.")
    {
        FilePath = filePath;
        Problem = problem;
    }

    /// <summary>The file that failed validation.</summary>
    public string FilePath { get; }

    /// <summary>What is wrong with it.</summary>
    public string Problem { get; }

    [DoesNotReturn]
    internal static void Throw(string filePath, string problem) => throw new VectorIndexCorruptException(filePath, problem);
}
