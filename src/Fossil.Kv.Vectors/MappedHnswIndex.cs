using System.Runtime.CompilerServices;
using Fossil.Kv.Vectors.Graph;
using Fossil.Kv.Vectors.Storage;

namespace Fossil.Kv.Vectors;

/// <summary>
/// A read-only HNSW index searched in place over memory-mapped <c>vectors.dat</c> and
/// <c>vectors.hnsw</c> (written by <see cref="HnswIndex.Save"/>): nothing is rebuilt or copied on open.
/// </summary>
/// <remarks>
/// Open always validates both headers, that the two files belong together, and the node table; by
/// default it also verifies both checksums and every link, so a damaged file is reported as a
/// <see cref="VectorIndexCorruptException"/> instead of being searched. With verification off, searches
/// over a damaged file still stay in bounds (counts are clamped and ids checked on every read); they just
/// return wrong answers.
/// </remarks>
public sealed unsafe class MappedHnswIndex : IVectorIndex
{
    private readonly MappedFile _vectors;
    private readonly MappedFile _graph;
    private readonly GraphView _view;
    private readonly int _entryPoint;
    private readonly int _maxLevel;
    private volatile bool _disposed;
    private int _disposeStarted;

    private MappedHnswIndex(MappedFile vectors, MappedFile graph, IndexFileHeader header)
    {
        _vectors = vectors;
        _graph = graph;
        Dimension = header.Dimension;
        Metric = header.Metric;
        Count = (int)header.Count;
        M = header.M;
        EfConstruction = header.EfConstruction;
        _entryPoint = header.EntryPoint;
        _maxLevel = header.MaxLevel;
        _view = new GraphView(
            (float*)(vectors.Pointer + header.SectionB),
            (int*)(graph.Pointer + header.SectionB),
            (long*)(vectors.Pointer + header.SectionA),
            (int*)(graph.Pointer + header.SectionA),
            (int*)(graph.Pointer + header.SectionC),
            Count,
            Dimension,
            2 * header.M,
            header.M);
    }

    /// <inheritdoc/>
    public int Dimension { get; }

    /// <inheritdoc/>
    public VectorMetric Metric { get; }

    /// <inheritdoc/>
    public int Count { get; }

    /// <summary>M the graph was built with.</summary>
    public int M { get; }

    /// <summary>efConstruction the graph was built with.</summary>
    public int EfConstruction { get; }

    /// <summary>Candidate list size when a search does not pass one.</summary>
    public int EfSearch { get; set; } = new HnswParameters().EfSearch;

    /// <summary>Maps the index in <paramref name="directory"/>.</summary>
    /// <param name="directory">Holds <c>vectors.dat</c> and <c>vectors.hnsw</c>.</param>
    /// <param name="populate">Touch every page now so the first searches do not fault pages in.</param>
    /// <param name="verifyChecksums">Verify both CRC-32C checksums and every link (reads the files once).</param>
    /// <exception cref="VectorIndexCorruptException">A file is malformed, truncated, damaged or from another index.</exception>
    /// <exception cref="FileNotFoundException">A file is missing.</exception>
    public static MappedHnswIndex Open(string directory, bool populate = true, bool verifyChecksums = true)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("The vector index is laid out little-endian and needs a little-endian CPU.");
        MappedFile? vectors = null;
        MappedFile? graph = null;
        try
        {
            vectors = MappedFile.Open(Path.Combine(directory, IndexFileHeader.VectorsFileName));
            var vectorsHeader = IndexFileHeader.Decode(vectors.Header, vectors.Length, IndexFileKind.Vectors, vectors.Path);
            graph = MappedFile.Open(Path.Combine(directory, IndexFileHeader.GraphFileName));
            var graphHeader = IndexFileHeader.Decode(graph.Header, graph.Length, IndexFileKind.Graph, graph.Path);
            graphHeader.EnsureMatches(vectorsHeader, graph.Path);
            if (verifyChecksums)
            {
                VerifyPayload(vectors, vectorsHeader);
                VerifyPayload(graph, graphHeader);
            }
            ValidateNodes(graph, graphHeader);
            if (verifyChecksums)
                ValidateLinks(graph, graphHeader);
            else if (populate)
            {
                vectors.Populate();
                graph.Populate();
            }
            var index = new MappedHnswIndex(vectors, graph, graphHeader);
            vectors = null;
            graph = null;
            return index;
        }
        finally
        {
            graph?.Dispose();
            vectors?.Dispose();
        }
    }

    /// <inheritdoc />
    public IReadOnlyList<VectorMatch> Search(ReadOnlySpan<float> query, int k, int? ef = null, Func<long, bool>? filter = null)
    {
        VectorValidation.Validate(query, Dimension, Metric);
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        var efValue = ef ?? EfSearch;
        ArgumentOutOfRangeException.ThrowIfLessThan(efValue, 1, nameof(ef));
        ObjectDisposedException.ThrowIf(_disposed, this);

        var vectorsRef = false;
        var graphRef = false;
        var context = SearchContexts.Rent(Dimension);
        try
        {
            _vectors.Handle.DangerousAddRef(ref vectorsRef);
            _graph.Handle.DangerousAddRef(ref graphRef);
            fixed (float* raw = query)
            fixed (float* normalized = context.Query)
            {
                var q = raw;
                if (Metric == VectorMetric.Cosine)
                {
                    Distances.Normalize(query, context.Query);
                    q = normalized;
                }
                return GraphSearch.Search(_view, Metric, _entryPoint, _maxLevel, q, k, efValue, filter, context);
            }
        }
        finally
        {
            if (graphRef)
                _graph.Handle.DangerousRelease();
            if (vectorsRef)
                _vectors.Handle.DangerousRelease();
            SearchContexts.Return(context);
        }
    }

    /// <summary>
    /// Unmaps both files. Safe to call more than once and while searches run: a running search keeps the
    /// mapping until it finishes. Searches after disposal throw <see cref="ObjectDisposedException"/>.
    /// </summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposeStarted, 1) != 0)
            return;
        _disposed = true;
        _graph.Dispose();
        _vectors.Dispose();
    }

    private static void VerifyPayload(MappedFile file, IndexFileHeader header)
    {
        var crc = IndexWriter.Crc(0, file.Pointer + IndexFileHeader.Size, file.Length - IndexFileHeader.Size);
        if (crc != header.PayloadChecksum)
            IndexFileHeader.Corrupt(file.Path, $"payload checksum mismatch (stored 0x{header.PayloadChecksum:X8}, computed 0x{crc:X8})");
    }

    /// <summary>Node levels and upper-block offsets; always checked, since search trusts them for bounds.</summary>
    private static void ValidateNodes(MappedFile graph, IndexFileHeader header)
    {
        var info = (int*)(graph.Pointer + header.SectionA);
        var stride = 1L + header.M;
        long upper = 0;
        for (long i = 0; i < header.Count; i++)
        {
            var level = info[2 * i];
            var offset = info[(2 * i) + 1];
            if (level < 0 || level > header.MaxLevel)
                Bad(graph.Path, $"node {i} has level {level}, outside 0..{header.MaxLevel}");
            if (level == 0 ? offset != -1 : offset != upper)
                Bad(graph.Path, $"node {i} has upper-layer offset {offset} (expected {(level == 0 ? -1 : upper)})");
            upper += level * stride;
        }
        if (upper != header.UpperInts)
            Bad(graph.Path, $"upper layers hold {header.UpperInts} ints but the node levels need {upper}");
        if (header.Count > 0 && info[2 * (long)header.EntryPoint] != header.MaxLevel)
            Bad(graph.Path, $"entry point {header.EntryPoint} is not on the top level {header.MaxLevel}");
    }

    /// <summary>Every list count within capacity and every id a node that reaches that layer.</summary>
    private static void ValidateLinks(MappedFile graph, IndexFileHeader header)
    {
        var info = (int*)(graph.Pointer + header.SectionA);
        var level0 = (int*)(graph.Pointer + header.SectionB);
        var upper = (int*)(graph.Pointer + header.SectionC);
        var count = (int)header.Count;
        for (var i = 0; i < count; i++)
        {
            CheckList(graph.Path, level0 + ((long)i * (1 + header.MaxM0)), header.MaxM0, i, 0, count, info);
            var level = info[2L * i];
            for (var l = 1; l <= level; l++)
                CheckList(graph.Path, upper + info[(2L * i) + 1] + ((long)(l - 1) * (1 + header.M)), header.M, i, l, count, info);
        }
    }

    private static void CheckList(string path, int* list, int capacity, int node, int level, int count, int* info)
    {
        var n = list[0];
        if (n < 0 || n > capacity)
            Bad(path, $"node {node} has {n} links on layer {level} (at most {capacity})");
        for (var j = 1; j <= n; j++)
        {
            var id = list[j];
            if ((uint)id >= (uint)count || info[2L * id] < level)
                Bad(path, $"node {node} links to {id} on layer {level}, which is not a node of that layer");
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Bad(string path, string problem) => IndexFileHeader.Corrupt(path, problem);
}
