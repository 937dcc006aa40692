using Fossil.Kv.Vectors.Graph;

namespace Fossil.Kv.Vectors;

/// <summary>
/// Exact search by comparing the query with every vector, with the same distances as
/// <see cref="HnswIndex"/>: ground truth for recall, and the cheaper choice for small segments.
/// Add and Search are thread-safe (adds are serialized; searches take no lock).
/// </summary>
public sealed unsafe class BruteForceIndex : IVectorIndex
{
    private readonly Lock _addLock = new();
    private readonly HashSet<long> _labels = [];
    private Arrays _arrays;
    private int _count;

    /// <summary>An empty index for vectors of <paramref name="dimension"/> components compared by <paramref name="metric"/>.</summary>
    /// <param name="dimension">Components per vector, 1 to <see cref="HnswIndex.MaxDimension"/>.</param>
    /// <param name="metric">Distance measure.</param>
    /// <param name="initialCapacity">Vectors to allocate room for up front; the index grows as needed.</param>
    /// <exception cref="ArgumentOutOfRangeException">The dimension is out of range, the metric unknown or the capacity negative.</exception>
    public BruteForceIndex(int dimension, VectorMetric metric, int initialCapacity = 1024)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(dimension, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(dimension, HnswIndex.MaxDimension);
        if (!Enum.IsDefined(metric))
            throw new ArgumentOutOfRangeException(nameof(metric), metric, "Unknown vector metric.");
        ArgumentOutOfRangeException.ThrowIfNegative(initialCapacity);
        Dimension = dimension;
        Metric = metric;
        _arrays = new Arrays(Math.Max(initialCapacity, 16), dimension);
    }

    /// <inheritdoc/>
    public int Dimension { get; }

    /// <inheritdoc/>
    public VectorMetric Metric { get; }

    /// <inheritdoc/>
    public int Count => Volatile.Read(ref _count);

    /// <summary>Adds <paramref name="vector"/> under <paramref name="label"/> (normalized for cosine).</summary>
    /// <exception cref="ArgumentException">Wrong dimension, a non-finite component, a zero vector for cosine, or a duplicate label.</exception>
    public void Add(long label, ReadOnlySpan<float> vector)
    {
        VectorValidation.Validate(vector, Dimension, Metric);
        lock (_addLock)
        {
            if (!_labels.Add(label))
                throw new ArgumentException($"A vector with label {label} is already in the index.", nameof(label));
            var arrays = _arrays;
            var n = _count;
            if (n == arrays.Labels.Length)
            {
                var grown = new Arrays(n * 2, Dimension);
                arrays.Vectors.AsSpan(0, n * Dimension).CopyTo(grown.Vectors);
                arrays.Labels.AsSpan(0, n).CopyTo(grown.Labels);
                arrays = grown;
                Volatile.Write(ref _arrays, grown);
            }
            var destination = arrays.Vectors.AsSpan(n * Dimension, Dimension);
            if (Metric == VectorMetric.Cosine)
                Distances.Normalize(vector, destination);
            else
                vector.CopyTo(destination);
            arrays.Labels[n] = label;
            Volatile.Write(ref _count, n + 1);
        }
    }

    /// <inheritdoc />
    /// <remarks><paramref name="ef"/> is ignored: the search is exact.</remarks>
    public IReadOnlyList<VectorMatch> Search(ReadOnlySpan<float> query, int k, int? ef = null, Func<long, bool>? filter = null)
    {
        VectorValidation.Validate(query, Dimension, Metric);
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        // Count first, then the arrays: arrays read later are at least as new, so they hold that many.
        var count = Volatile.Read(ref _count);
        var arrays = Volatile.Read(ref _arrays);
        var context = SearchContexts.Rent(Dimension);
        try
        {
            if (Metric == VectorMetric.Cosine)
            {
                Distances.Normalize(query, context.Query);
                query = context.Query.AsSpan(0, Dimension);
            }
            return Metric == VectorMetric.L2
                ? Scan<L2Distance>(arrays, count, query, k, filter, context.Results)
                : Scan<DotDistance>(arrays, count, query, k, filter, context.Results);
        }
        finally
        {
            SearchContexts.Return(context);
        }
    }

    /// <summary>Does nothing: the vectors live in managed arrays. Present because <see cref="IVectorIndex"/> is disposable.</summary>
    public void Dispose()
    {
    }

    private VectorMatch[] Scan<TDistance>(Arrays arrays, int count, ReadOnlySpan<float> query, int k, Func<long, bool>? filter, MaxHeap best)
        where TDistance : struct, IDistance
    {
        best.Clear();
        fixed (float* q = query)
        fixed (float* vectors = arrays.Vectors)
        {
            for (var i = 0; i < count; i++)
            {
                var d = TDistance.Distance(q, vectors + ((nint)i * Dimension), Dimension);
                if (best.Count == k && d >= best.Top.Distance)
                    continue;
                if (filter is not null && !filter(arrays.Labels[i]))
                    continue;
                best.Push(d, i);
                if (best.Count > k)
                    best.Pop();
            }
        }
        var matches = new VectorMatch[best.Count];
        for (var i = matches.Length - 1; i >= 0; i--)
        {
            var c = best.Pop();
            matches[i] = new VectorMatch(arrays.Labels[c.Id], c.Distance);
        }
        return matches;
    }

    private sealed class Arrays(int capacity, int dimension)
    {
        public float[] Vectors { get; } = new float[(long)capacity * dimension];

        public long[] Labels { get; } = new long[capacity];
    }
}
