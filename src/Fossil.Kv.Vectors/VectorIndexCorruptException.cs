using System.Diagnostics.CodeAnalysis;

namespace Fossil.Kv.Vectors;

/// <summary>A vector index file is malformed, truncated, fails its checksum or disagrees with its sibling file.</summary>
public sealed class VectorIndexCorruptException : IOException
{
    public VectorIndexCorruptException()
        : this("(unknown)", "the file is corrupt")
    {
    }

    public VectorIndexCorruptException(string message)
        : this("(unknown)", message)
    {
    }

    public VectorIndexCorruptException(string message, Exception innerException)
        : base(message, innerException)
    {
        FilePath = "(unknown)";
        Problem = message;
    }

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
