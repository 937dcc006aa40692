namespace Fossil.Kv.Vectors;

/// <summary>Build and search parameters of an HNSW graph (Malkov &amp; Yashunin; hnswlib's defaults for M and efConstruction).</summary>
/// <param name="M">Links per node on the upper layers; layer 0 keeps up to <c>2 * M</c>.</param>
/// <param name="EfConstruction">Size of the candidate list while inserting; higher builds a better graph, slower.</param>
/// <param name="EfSearch">Default size of the candidate list while searching (raised to k when smaller).</param>
/// <param name="Seed">Seeds the level assignment; a single-threaded build is deterministic for a seed and insertion order.</param>
public sealed record HnswParameters(int M = 16, int EfConstruction = 200, int EfSearch = 100, int Seed = 42)
{
    /// <summary>Upper bound on <see cref="M"/>; keeps neighbor lists and file sizes sane.</summary>
    public const int MaxM = 1024;

    /// <summary>Links per node on layer 0.</summary>
    public int MaxM0 => 2 * M;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first bad parameter.</summary>
    public void Validate()
    {
        if (M < 2 || M > MaxM)
            throw new ArgumentOutOfRangeException(nameof(M), M, $"M must be between 2 and {MaxM}.");
        if (EfConstruction < 1)
            throw new ArgumentOutOfRangeException(nameof(EfConstruction), EfConstruction, "EfConstruction must be at least 1.");
        if (EfSearch < 1)
            throw new ArgumentOutOfRangeException(nameof(EfSearch), EfSearch, "EfSearch must be at least 1.");
    }
}
