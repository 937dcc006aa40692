namespace Fossil.Kv.Vectors;

/// <summary>
/// A searchable set of labelled vectors of one dimension and metric.
/// </summary>
/// <remarks>
/// This is the seam between the store and the vector index: the store only codes against this
/// interface, so another implementation (HNSW.Net, a binding to hnswlib or FAISS, an exact index)
/// can be swapped in by implementing it. Implementations in this assembly:
/// <see cref="HnswIndex"/> (in memory, growable, concurrent), <see cref="MappedHnswIndex"/>
/// (read-only over memory-mapped files) and <see cref="BruteForceIndex"/> (exact).
/// Searches are safe from any number of threads.
/// </remarks>
public interface IVectorIndex : IDisposable
{
    /// <summary>Number of components of every vector.</summary>
    int Dimension { get; }

    /// <summary>How distances are measured.</summary>
    VectorMetric Metric { get; }

    /// <summary>Number of vectors in the index.</summary>
    int Count { get; }

    /// <summary>
    /// The (up to) <paramref name="k"/> nearest vectors to <paramref name="query"/>, nearest first.
    /// </summary>
    /// <param name="query">A vector of <see cref="Dimension"/> finite components.</param>
    /// <param name="k">How many matches to return, at least 1.</param>
    /// <param name="ef">Candidate list size for approximate indexes (raised to <paramref name="k"/>); ignored by exact ones.</param>
    /// <param name="filter">
    /// Optional label predicate; only labels it accepts are returned. Non-matching vectors are still
    /// traversed, as hnswlib's filter functor does, so a selective filter costs more time, not recall.
    /// </param>
    /// <exception cref="ArgumentException">The query has the wrong dimension or a non-finite value.</exception>
    IReadOnlyList<VectorMatch> Search(ReadOnlySpan<float> query, int k, int? ef = null, Func<long, bool>? filter = null);
}
