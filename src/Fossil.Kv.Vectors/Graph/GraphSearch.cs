using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace Fossil.Kv.Vectors.Graph;

/// <summary>
/// The HNSW search routines (hnswlib's searchKnn, searchBaseLayer and searchBaseLayerST), shared by
/// the in-memory build and the mapped reader. Readers take no locks: a link list may be read while a
/// writer changes it, so counts are clamped and ids bounds-checked, and any mix of old and new ids is
/// still a set of valid, fully written nodes.
/// </summary>
internal static unsafe class GraphSearch
{
    /// <summary>Greedy walk from <paramref name="entry"/> down the layers above <paramref name="stopLevel"/>.</summary>
    public static int Descend<TDistance>(in GraphView g, float* query, int entry, int fromLevel, int stopLevel)
        where TDistance : struct, IDistance
    {
        var current = entry;
        var currentDistance = TDistance.Distance(query, g.Vector(current), g.Dimension);
        for (var level = fromLevel; level > stopLevel; level--)
        {
            bool changed;
            do
            {
                changed = false;
                var list = g.Links(current, level, out var capacity);
                if (list == null)
                    break;
                var n = GraphView.CountOf(list, capacity);
                for (var j = 1; j <= n; j++)
                {
                    var id = Volatile.Read(ref list[j]);
                    if ((uint)id >= (uint)g.NodeBound)
                        continue;
                    var d = TDistance.Distance(query, g.Vector(id), g.Dimension);
                    if (d < currentDistance)
                    {
                        currentDistance = d;
                        current = id;
                        changed = true;
                    }
                }
            }
            while (changed);
        }
        return current;
    }

    /// <summary>
    /// Best-first search of one layer with a candidate list of <paramref name="ef"/>; the result heap
    /// of <paramref name="context"/> holds the (filter-allowed) nearest when it returns.
    /// </summary>
    /// <remarks><paramref name="exclude"/> is a node never to visit (the node being inserted), or -1.</remarks>
    public static void SearchLayer<TDistance, TFilter>(
        in GraphView g, float* query, int entry, int level, int ef, ref TFilter filter, SearchContext context, int exclude = -1)
        where TDistance : struct, IDistance
        where TFilter : struct, ILabelFilter
    {
        var frontier = context.Frontier;
        var results = context.Results;
        frontier.Clear();
        results.Clear();
        // Locals, not struct fields: keeps the hot loop's operands in registers.
        var vectors = g.Vectors;
        var dimension = g.Dimension;
        var level0 = g.Level0;
        var level0Stride = (nint)(1 + g.MaxM0);
        var maxM0 = g.MaxM0;
        var bound = (uint)g.NodeBound;
        var labels = g.Labels;
        var visitedArray = context.BeginVisit(g.NodeBound, out var tag);
        fixed (ushort* visited = visitedArray)
        {
            if (exclude >= 0)
                visited[exclude] = tag;
            visited[entry] = tag;
            var lowerBound = float.MaxValue;
            var entryDistance = TDistance.Distance(query, vectors + ((nint)entry * dimension), dimension);
            if (!TFilter.IsActive || filter.Allows(labels[entry]))
            {
                results.Push(entryDistance, entry);
                lowerBound = entryDistance;
            }
            frontier.Push(entryDistance, entry);

            while (frontier.Count > 0)
            {
                var nearest = frontier.Top;
                if (nearest.Distance > lowerBound && (results.Count >= ef || !TFilter.IsActive))
                    break;
                frontier.Pop();

                int* list;
                int capacity;
                if (level == 0)
                {
                    list = level0 + (nearest.Id * level0Stride);
                    capacity = maxM0;
                }
                else
                {
                    list = g.Links(nearest.Id, level, out capacity);
                    if (list == null)
                        continue;
                }
                if (Sse.IsSupported && level == 0 && frontier.Count > 0)
                {
                    // The next node to expand is likely the new top: start fetching its link list
                    // (layer-0 lists live apart from the vectors, unlike hnswlib's interleaved block).
                    Sse.Prefetch0(level0 + (frontier.Top.Id * level0Stride));
                }
                var n = GraphView.CountOf(list, capacity);
                if (n == 0)
                    continue;
                if (Sse.IsSupported)
                {
                    // As hnswlib: start pulling the first neighbor's vector and mark in before the loop.
                    Sse.Prefetch0(visited + list[1]);
                    Sse.Prefetch0(vectors + ((nint)list[1] * dimension));
                }
                for (var j = 1; j <= n; j++)
                {
                    var id = Volatile.Read(ref list[j]);
                    if (Sse.IsSupported && j < n)
                    {
                        // Prefetch never faults, so a stale or out-of-range id here is harmless.
                        var next = list[j + 1];
                        Sse.Prefetch0(visited + next);
                        Sse.Prefetch0(vectors + ((nint)next * dimension));
                    }
                    if ((uint)id >= bound || visited[id] == tag)
                        continue;
                    visited[id] = tag;
                    var d = TDistance.Distance(query, vectors + ((nint)id * dimension), dimension);
                    if (results.Count < ef || d < lowerBound)
                    {
                        frontier.Push(d, id);
                        if (!TFilter.IsActive || filter.Allows(labels[id]))
                        {
                            results.Push(d, id);
                            if (results.Count > ef)
                                results.Pop();
                        }
                        if (results.Count > 0)
                            lowerBound = results.Top.Distance;
                    }
                }
            }
        }
    }

    /// <summary>k-NN search: descend the upper layers, search layer 0 with max(ef, k), return the k nearest.</summary>
    public static VectorMatch[] Search<TDistance, TFilter>(
        in GraphView g, int entry, int maxLevel, float* query, int k, int ef, ref TFilter filter, SearchContext context)
        where TDistance : struct, IDistance
        where TFilter : struct, ILabelFilter
    {
        if (entry < 0)
            return [];
        var start = Descend<TDistance>(g, query, entry, maxLevel, 0);
        SearchLayer<TDistance, TFilter>(g, query, start, 0, Math.Max(ef, k), ref filter, context);
        var results = context.Results;
        while (results.Count > k)
            results.Pop();
        var matches = new VectorMatch[results.Count];
        for (var i = matches.Length - 1; i >= 0; i--)
        {
            var c = results.Pop();
            matches[i] = new VectorMatch(g.Labels[c.Id], c.Distance);
        }
        return matches;
    }

    /// <summary>Runs <see cref="Search{TDistance, TFilter}"/> with the distance for <paramref name="metric"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static VectorMatch[] Search(
        in GraphView g, VectorMetric metric, int entry, int maxLevel, float* query, int k, int ef, Func<long, bool>? filter, SearchContext context)
    {
        if (filter is null)
        {
            var none = default(NoFilter);
            return metric == VectorMetric.L2
                ? Search<L2Distance, NoFilter>(g, entry, maxLevel, query, k, ef, ref none, context)
                : Search<DotDistance, NoFilter>(g, entry, maxLevel, query, k, ef, ref none, context);
        }
        var predicate = new DelegateFilter(filter);
        return metric == VectorMetric.L2
            ? Search<L2Distance, DelegateFilter>(g, entry, maxLevel, query, k, ef, ref predicate, context)
            : Search<DotDistance, DelegateFilter>(g, entry, maxLevel, query, k, ef, ref predicate, context);
    }
}
