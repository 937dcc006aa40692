namespace Fossil.Kv.Vectors.Graph;

/// <summary>
/// Per-search scratch: visited marks (generation-tagged, as hnswlib's VisitedList), both heaps, a
/// query buffer and neighbor-selection scratch. Pooled so a search allocates nothing but its result.
/// </summary>
internal sealed class SearchContext(int dimension)
{
    private ushort[] _visited = [];
    private ushort _tag;

    public MinHeap Frontier { get; } = new();

    public MaxHeap Results { get; } = new();

    /// <summary>Holds the normalized query for cosine.</summary>
    public float[] Query { get; } = new float[dimension];

    /// <summary>Neighbor-selection scratch (insert only).</summary>
    public Candidate[] Scratch { get; private set; } = new Candidate[64];

    /// <summary>Selected neighbors (insert only).</summary>
    public Candidate[] Selected { get; private set; } = new Candidate[64];

    /// <summary>Starts a new traversal over ids below <paramref name="nodeBound"/>; returns the marks and the tag meaning "visited".</summary>
    public ushort[] BeginVisit(int nodeBound, out ushort tag)
    {
        if (_visited.Length < nodeBound)
        {
            _visited = new ushort[Math.Max(nodeBound, _visited.Length + (_visited.Length / 2))];
            _tag = 0;
        }
        if (++_tag == 0)
        {
            Array.Clear(_visited);
            _tag = 1;
        }
        tag = _tag;
        return _visited;
    }

    /// <summary>Candidates while pruning a full neighbor list (insert only).</summary>
    public Candidate[] Prune { get; private set; } = new Candidate[64];

    /// <summary>The pruned list (insert only).</summary>
    public Candidate[] PruneSelected { get; private set; } = new Candidate[64];

    public void EnsureScratch(int size)
    {
        if (Scratch.Length < size)
        {
            Scratch = new Candidate[size];
            Selected = new Candidate[size];
            Prune = new Candidate[size];
            PruneSelected = new Candidate[size];
        }
    }
}

/// <summary>
/// Hands out search contexts: one cached per thread (no lock on the search path), more on demand when
/// a thread nests searches (a filter that searches). A context fits any index: marks are sized on use.
/// </summary>
internal static class SearchContexts
{
    [ThreadStatic]
    private static SearchContext? t_cached;

    public static SearchContext Rent(int dimension)
    {
        var context = t_cached;
        if (context is not null && context.Query.Length >= dimension)
        {
            t_cached = null;
            return context;
        }
        return new SearchContext(dimension);
    }

    public static void Return(SearchContext context) => t_cached = context;
}
