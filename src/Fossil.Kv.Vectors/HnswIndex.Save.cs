using Fossil.Kv.Vectors.Storage;

namespace Fossil.Kv.Vectors;

public sealed unsafe partial class HnswIndex
{
    /// <summary>File name of the labels-and-vectors file <see cref="Save"/> writes.</summary>
    public const string VectorsFileName = IndexFileHeader.VectorsFileName;

    /// <summary>File name of the graph file <see cref="Save"/> writes.</summary>
    public const string GraphFileName = IndexFileHeader.GraphFileName;

    /// <summary>
    /// Writes <c>vectors.dat</c> and <c>vectors.hnsw</c> into <paramref name="directory"/> (created if
    /// missing; existing files are replaced) and flushes both to disk (fsync). Adds wait while the index
    /// is written; searches do not. Atomic publication is the caller's: write into a temporary
    /// directory, then rename it.
    /// </summary>
    public void Save(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        Directory.CreateDirectory(directory);
        using var vectors = new FileStream(Path.Combine(directory, VectorsFileName), FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
        using var graph = new FileStream(Path.Combine(directory, GraphFileName), FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
        Write(vectors, graph);
        vectors.Flush(flushToDisk: true);
        graph.Flush(flushToDisk: true);
    }

    /// <summary>Writes the two files' bytes to the given streams (not flushed or closed).</summary>
    public void Write(Stream vectors, Stream graph)
    {
        ArgumentNullException.ThrowIfNull(vectors);
        ArgumentNullException.ThrowIfNull(graph);
        _structureLock.EnterWriteLock();
        try
        {
            ThrowIfDisposed();
            var entry = Volatile.Read(ref _entry);
            IndexWriter.Write(vectors, graph, _store.View, Metric, _parameters, _reserved, _upperUsed, EntryOf(entry), MaxLevelOf(entry));
        }
        finally
        {
            _structureLock.ExitWriteLock();
        }
    }
}
