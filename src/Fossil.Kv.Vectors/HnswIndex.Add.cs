using System.Runtime.CompilerServices;
using Fossil.Kv.Vectors.Graph;

namespace Fossil.Kv.Vectors;

public sealed unsafe partial class HnswIndex
{
    /// <summary>Inserts <paramref name="vector"/> under <paramref name="label"/>. Thread-safe; searches may run meanwhile.</summary>
    /// <exception cref="ArgumentException">Wrong dimension, a non-finite component, a zero vector for cosine, or a duplicate label.</exception>
    public void Add(long label, ReadOnlySpan<float> vector)
    {
        VectorValidation.Validate(vector, Dimension, Metric);
        var (id, level, upperOffset) = Reserve(label);
        try
        {
            Insert(id, label, level, upperOffset, vector);
        }
        finally
        {
            _structureLock.ExitReadLock();
        }
    }

    /// <summary>Claims the next node id and its upper-layer block; returns holding the shared structure lock.</summary>
    private (int Id, int Level, int UpperOffset) Reserve(long label)
    {
        while (true)
        {
            _structureLock.EnterReadLock();
            var duplicate = false;
            int neededNodes;
            long neededUpper;
            lock (_reserveLock)
            {
                if (_disposed)
                {
                    _structureLock.ExitReadLock();
                    ThrowIfDisposed();
                }
                if (_ids.ContainsKey(label))
                {
                    duplicate = true;
                    neededNodes = 0;
                    neededUpper = 0;
                }
                else
                {
                    var id = _reserved;
                    if (id == int.MaxValue)
                    {
                        _structureLock.ExitReadLock();
                        throw new InvalidOperationException("The index is full (2^31 - 1 vectors).");
                    }
                    var level = LevelFor(id);
                    var need = (long)level * _upperStride;
                    var store = _store;
                    if (id < store.Capacity && _upperUsed + need <= store.UpperCapacity)
                    {
                        var offset = level > 0 ? _upperUsed : -1;
                        if (_upperUsed + need > int.MaxValue)
                        {
                            _structureLock.ExitReadLock();
                            throw new InvalidOperationException("The index is full (upper layers exceed 2^31 links).");
                        }
                        _reserved++;
                        _upperUsed += need;
                        _ids.Add(label, id);
                        return (id, level, (int)offset);
                    }
                    neededNodes = id + 1;
                    neededUpper = _upperUsed + need;
                }
            }
            _structureLock.ExitReadLock();
            if (duplicate)
                ThrowDuplicate(label);
            Grow(neededNodes, neededUpper);
        }
    }

    /// <summary>Doubles the arrays until they fit; writers are excluded, readers are not.</summary>
    private void Grow(int neededNodes, long neededUpper)
    {
        _structureLock.EnterWriteLock();
        try
        {
            ThrowIfDisposed();
            var old = _store;
            if (neededNodes <= old.Capacity && neededUpper <= old.UpperCapacity)
                return;
            var capacity = (long)old.Capacity;
            while (capacity < neededNodes)
                capacity *= 2;
            var upper = old.UpperCapacity;
            while (upper < neededUpper)
                upper *= 2;
            var next = new NodeStore((int)Math.Min(capacity, int.MaxValue), Math.Max(upper, EstimateUpper((int)Math.Min(capacity, int.MaxValue))), Dimension, _maxM0, _maxM);
            old.CopyTo(next, _reserved, _upperUsed);
            Volatile.Write(ref _store, next);
            old.Dispose();
        }
        finally
        {
            _structureLock.ExitWriteLock();
        }
    }

    private void Insert(int id, long label, int level, int upperOffset, ReadOnlySpan<float> vector)
    {
        var store = _store; // stable: growth waits for our shared lock
        var g = store.View;
        var destination = new Span<float>(g.Vector(id), Dimension);
        if (Metric == VectorMetric.Cosine)
            Distances.Normalize(vector, destination);
        else
            vector.CopyTo(destination);
        g.Labels[id] = label;
        g.NodeInfo[2 * (nint)id] = level;
        g.NodeInfo[(2 * (nint)id) + 1] = upperOffset;
        g.Level0Links(id)[0] = 0;
        if (level > 0)
            new Span<int>(g.Upper + upperOffset, level * _upperStride).Clear();

        var context = SearchContexts.Rent(Dimension);
        try
        {
            context.EnsureScratch(Math.Max(_parameters.EfConstruction, _maxM0 + _maxM) + 1);
            if (Metric == VectorMetric.L2)
                Link<L2Distance>(store, id, level, context);
            else
                Link<DotDistance>(store, id, level, context);
        }
        finally
        {
            SearchContexts.Return(context);
        }
        Interlocked.Increment(ref _count);
    }

    /// <summary>hnswlib's addPoint after the node is written: descend, then search and connect on each of its layers.</summary>
    private void Link<TDistance>(NodeStore store, int id, int level, SearchContext context)
        where TDistance : struct, IDistance
    {
        var g = store.View;
        var entry = Volatile.Read(ref _entry);
        var holdsEntryLock = false;
        if (level > MaxLevelOf(entry))
        {
            _entryLock.Enter();
            holdsEntryLock = true;
            entry = Volatile.Read(ref _entry);
            if (level <= MaxLevelOf(entry))
            {
                _entryLock.Exit();
                holdsEntryLock = false;
            }
        }
        try
        {
            var entryPoint = EntryOf(entry);
            var maxLevel = MaxLevelOf(entry);
            if (entryPoint < 0)
            {
                Volatile.Write(ref _entry, Pack(id, level));
                return;
            }
            var query = g.Vector(id);
            var current = level < maxLevel ? GraphSearch.Descend<TDistance>(g, query, entryPoint, maxLevel, level) : entryPoint;
            var noFilter = default(NoFilter);
            for (var l = Math.Min(level, maxLevel); l >= 0; l--)
            {
                GraphSearch.SearchLayer<TDistance, NoFilter>(g, query, current, l, _parameters.EfConstruction, ref noFilter, context, exclude: id);
                current = Connect<TDistance>(store, id, l, current, context);
            }
            if (level > maxLevel)
                Volatile.Write(ref _entry, Pack(id, level));
        }
        finally
        {
            if (holdsEntryLock)
                _entryLock.Exit();
        }
    }

    /// <summary>
    /// hnswlib's mutuallyConnectNewElement: picks up to M neighbors from the search results with the
    /// heuristic, links the new node to them and them back to it, pruning full lists with the same
    /// heuristic. Returns the nearest selected neighbor as the entry for the layer below.
    /// </summary>
    private int Connect<TDistance>(NodeStore store, int id, int level, int fallback, SearchContext context)
        where TDistance : struct, IDistance
    {
        var g = store.View;
        var results = context.Results;
        var sorted = context.Scratch;
        var total = results.Count;
        for (var i = total - 1; i >= 0; i--)
            sorted[i] = results.Pop();
        var n = 0;
        for (var i = 0; i < total; i++)
        {
            if (sorted[i].Id != id)
                sorted[n++] = sorted[i];
        }
        if (n == 0)
            return fallback;

        var capacity = level == 0 ? _maxM0 : _maxM;
        var selected = context.Selected;
        var selectedCount = SelectNeighbors<TDistance>(g, sorted.AsSpan(0, n), _parameters.M, selected);

        // The new node's own list. Another insert may already have linked to it here; then merge.
        var own = g.Links(id, level, out _);
        SpinLock(store.Locks + id);
        try
        {
            var existing = GraphView.CountOf(own, capacity);
            if (existing == 0)
            {
                for (var j = 0; j < selectedCount; j++)
                    Volatile.Write(ref own[1 + j], selected[j].Id);
                Volatile.Write(ref own[0], selectedCount);
            }
            else
            {
                var pool = context.Prune;
                var m = 0;
                for (var j = 1; j <= existing; j++)
                    m = AddUnique<TDistance>(g, pool, m, g.Vector(id), own[j], id);
                for (var j = 0; j < selectedCount; j++)
                    m = AddUnique<TDistance>(g, pool, m, g.Vector(id), selected[j].Id, id);
                WritePruned<TDistance>(g, own, pool.AsSpan(0, m), capacity, context.PruneSelected);
            }
        }
        finally
        {
            SpinUnlock(store.Locks + id);
        }

        // Back links.
        for (var j = 0; j < selectedCount; j++)
        {
            var neighbor = selected[j].Id;
            var list = g.Links(neighbor, level, out _);
            if (list == null)
                continue;
            SpinLock(store.Locks + neighbor);
            try
            {
                var count = GraphView.CountOf(list, capacity);
                var present = false;
                for (var t = 1; t <= count; t++)
                {
                    if (list[t] == id)
                    {
                        present = true;
                        break;
                    }
                }
                if (present)
                    continue;
                if (count < capacity)
                {
                    Volatile.Write(ref list[1 + count], id);
                    Volatile.Write(ref list[0], count + 1);
                    continue;
                }
                var pool = context.Prune;
                var origin = g.Vector(neighbor);
                pool[0] = new Candidate(TDistance.Distance(origin, g.Vector(id), Dimension), id);
                for (var t = 1; t <= count; t++)
                {
                    var other = list[t];
                    pool[t] = new Candidate(TDistance.Distance(origin, g.Vector(other), Dimension), other);
                }
                WritePruned<TDistance>(g, list, pool.AsSpan(0, count + 1), capacity, context.PruneSelected);
            }
            finally
            {
                SpinUnlock(store.Locks + neighbor);
            }
        }
        return selected[0].Id;
    }

    /// <summary>
    /// hnswlib's getNeighborsByHeuristic2: walk candidates nearest first and keep one only if it is
    /// nearer to the base point than to every neighbor kept so far. Fewer than <paramref name="m"/>
    /// candidates are all kept.
    /// </summary>
    private int SelectNeighbors<TDistance>(in GraphView g, ReadOnlySpan<Candidate> ascending, int m, Candidate[] selected)
        where TDistance : struct, IDistance
    {
        if (ascending.Length < m)
        {
            ascending.CopyTo(selected);
            return ascending.Length;
        }
        var count = 0;
        foreach (var candidate in ascending)
        {
            if (count >= m)
                break;
            var vector = g.Vector(candidate.Id);
            var good = true;
            for (var s = 0; s < count; s++)
            {
                if (TDistance.Distance(vector, g.Vector(selected[s].Id), Dimension) < candidate.Distance)
                {
                    good = false;
                    break;
                }
            }
            if (good)
                selected[count++] = candidate;
        }
        return count;
    }

    /// <summary>Sorts <paramref name="pool"/>, selects with the heuristic and writes the list (ids before count).</summary>
    private void WritePruned<TDistance>(in GraphView g, int* list, Span<Candidate> pool, int capacity, Candidate[] selected)
        where TDistance : struct, IDistance
    {
        pool.Sort();
        var kept = SelectNeighbors<TDistance>(g, pool, capacity, selected);
        for (var t = 0; t < kept; t++)
            Volatile.Write(ref list[1 + t], selected[t].Id);
        Volatile.Write(ref list[0], kept);
    }

    private int AddUnique<TDistance>(in GraphView g, Candidate[] pool, int count, float* origin, int candidate, int self)
        where TDistance : struct, IDistance
    {
        if (candidate == self || (uint)candidate >= (uint)g.NodeBound)
            return count;
        for (var i = 0; i < count; i++)
        {
            if (pool[i].Id == candidate)
                return count;
        }
        pool[count] = new Candidate(TDistance.Distance(origin, g.Vector(candidate), Dimension), candidate);
        return count + 1;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void SpinLock(int* word)
    {
        if (Interlocked.CompareExchange(ref *word, 1, 0) != 0)
            SpinLockContended(word);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void SpinLockContended(int* word)
    {
        var spin = default(SpinWait);
        while (Volatile.Read(ref *word) != 0 || Interlocked.CompareExchange(ref *word, 1, 0) != 0)
            spin.SpinOnce();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void SpinUnlock(int* word) => Volatile.Write(ref *word, 0);
}
