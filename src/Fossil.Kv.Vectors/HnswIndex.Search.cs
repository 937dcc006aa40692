using Fossil.Kv.Vectors.Graph;

namespace Fossil.Kv.Vectors;

public sealed unsafe partial class HnswIndex
{
    /// <inheritdoc />
    public IReadOnlyList<VectorMatch> Search(ReadOnlySpan<float> query, int k, int? ef = null, Func<long, bool>? filter = null)
    {
        VectorValidation.Validate(query, Dimension, Metric);
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        var efValue = ef ?? _parameters.EfSearch;
        ArgumentOutOfRangeException.ThrowIfLessThan(efValue, 1, nameof(ef));

        // Entry first, then the store: a store read later is at least as new, so it holds the entry node.
        var entry = Volatile.Read(ref _entry);
        var store = AcquireStore();
        var context = SearchContexts.Rent(Dimension);
        try
        {
            fixed (float* raw = query)
            fixed (float* normalized = context.Query)
            {
                var q = raw;
                if (Metric == VectorMetric.Cosine)
                {
                    Distances.Normalize(query, context.Query);
                    q = normalized;
                }
                return GraphSearch.Search(store.View, Metric, EntryOf(entry), MaxLevelOf(entry), q, k, efValue, filter, context);
            }
        }
        finally
        {
            SearchContexts.Return(context);
            store.DangerousRelease();
        }
    }

    /// <summary>Takes a reference on the current store, retrying if a growth retired it in between.</summary>
    private NodeStore AcquireStore()
    {
        while (true)
        {
            ThrowIfDisposed();
            var store = Volatile.Read(ref _store);
            var added = false;
            try
            {
                store.DangerousAddRef(ref added);
            }
            catch (ObjectDisposedException)
            {
                // Replaced by a growth (or the index was disposed, which the next pass reports).
            }
            if (added)
                return store;
        }
    }
}
