using Fossil.Kv.SegmentFiles;
using Fossil.Kv.Segments;
using Fossil.Kv.Vectors;

namespace Fossil.Kv.Search;

/// <summary>
/// The search index of one segment that has no local files (yet): an in-memory HNSW graph over its vectors,
/// its entity postings and its co-occurrence counts, fed in commit order by <see cref="ActiveSegmentIndexes"/>.
/// Counts are kept per segment, exactly as <c>entities.idx</c> keeps them, so dropping this index removes
/// exactly this segment's share of the entity graph.
/// </summary>
/// <remarks>
/// One writer (the follower) and any number of readers. Readers hold the read lock for the length of one
/// synchronous search; <see cref="Release"/> takes the write lock, so no search ever runs on a disposed graph.
/// </remarks>
internal sealed class ActiveSegmentIndex(SegmentId segment, VectorMetric metric, HnswParameters hnsw) : ISearchSegment, IDisposable
{
    private readonly ReaderWriterLockSlim _lock = new(LockRecursionPolicy.NoRecursion);
    private readonly Dictionary<long, RecordedEvent> _bySegmentPosition = [];
    private readonly Dictionary<string, List<RecordedEvent>> _postings = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Dictionary<string, long>> _pairs = new(StringComparer.Ordinal);
    private readonly List<string> _eventEntities = [];
    private HnswIndex? _vectors;
    private Position _last;
    private long _count;
    private bool _released;

    public SegmentId Segment { get; } = segment;

    /// <summary>The commit revision of the first event indexed; a catalog read at an older revision cannot list the segment yet.</summary>
    public long FirstRevision { get; private set; } = long.MaxValue;

    /// <summary>Events indexed so far; the segment record's <c>document_count</c> once caught up.</summary>
    public long EventCount => Volatile.Read(ref _count);

    /// <summary>Indexes the next event of the segment; events at or before the last one indexed are ignored.</summary>
    public void Add(RecordedEvent e)
    {
        _lock.EnterWriteLock();
        try
        {
            if (_released || e.Position <= _last) return;
            if (FirstRevision == long.MaxValue) FirstRevision = e.Position.Revision;
            TrackEntities(e);
            if (e.Vector is { Length: > 0 } vector)
            {
                // Only events a vector search can return are kept (entity postings keep their own): a node holds
                // the searchable part of its active segments in memory, not all of their events.
                _bySegmentPosition[e.SegmentPosition] = e;
                _vectors ??= new HnswIndex(vector.Length, metric, hnsw);
                try
                {
                    _vectors.Add(e.SegmentPosition, vector);
                }
                catch (ArgumentException)
                {
                    // A zero vector under cosine has no direction, so no distance: the event is still found by entity.
                }
            }
            _last = e.Position;
            Volatile.Write(ref _count, _count + 1);
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <summary>Every distinct pair of the event's distinct entities counts once, as in <c>entities.idx</c>.</summary>
    private void TrackEntities(RecordedEvent e)
    {
        if (e.Entities.Count == 0) return;
        _eventEntities.Clear();
        foreach (var entity in e.Entities)
        {
            if (!_postings.TryGetValue(entity, out var postings)) _postings[entity] = postings = [];
            if (postings.Count > 0 && ReferenceEquals(postings[^1], e)) continue; // named twice by one event
            postings.Add(e);
            _eventEntities.Add(entity);
        }
        for (var i = 0; i < _eventEntities.Count; i++)
        {
            for (var j = i + 1; j < _eventEntities.Count; j++)
            {
                Count(_eventEntities[i], _eventEntities[j]);
                Count(_eventEntities[j], _eventEntities[i]);
            }
        }
    }

    private void Count(string entity, string other)
    {
        if (!_pairs.TryGetValue(entity, out var related)) _pairs[entity] = related = new Dictionary<string, long>(StringComparer.Ordinal);
        related[other] = related.GetValueOrDefault(other) + 1;
    }

    public IReadOnlyList<VectorSearchResult>? Search(float[] query, int k, int ef, SearchFilter filter)
    {
        _lock.EnterReadLock();
        try
        {
            if (_released) return null;
            if (_vectors is null) return [];
            HashSet<long>? mentioning = null;
            if (filter.Entity is { } entity)
            {
                if (!_postings.TryGetValue(entity, out var postings)) return [];
                mentioning = [.. postings.Select(p => p.SegmentPosition)];
            }
            var events = _bySegmentPosition;
            Func<long, bool>? accept = mentioning is null && filter.IsEmpty
                ? null
                : label => (mentioning is null || mentioning.Contains(label)) && filter.Matches(events[label]);
            var matches = _vectors.Search(query, k, ef, accept);
            var results = new List<VectorSearchResult>(matches.Count);
            foreach (var match in matches) results.Add(new VectorSearchResult(match.Distance, events[match.Label]));
            return results;
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    public IReadOnlyList<RecordedEvent>? ReadEntity(string entity, int limit)
    {
        _lock.EnterReadLock();
        try
        {
            if (_released) return null;
            return _postings.TryGetValue(entity, out var postings) ? [.. postings.Take(limit)] : [];
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    public IReadOnlyList<EntityCoOccurrence>? GetRelated(string entity)
    {
        _lock.EnterReadLock();
        try
        {
            if (_released) return null;
            return _pairs.TryGetValue(entity, out var related) ? [.. related.Select(r => new EntityCoOccurrence(entity, r.Key, r.Value))] : [];
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    /// <summary>Frees the index; searches that come later get null and go to the segment's files.</summary>
    public void Release()
    {
        _lock.EnterWriteLock();
        try
        {
            if (_released) return;
            _released = true;
            _vectors?.Dispose();
            _vectors = null;
            _bySegmentPosition.Clear();
            _postings.Clear();
            _pairs.Clear();
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    public void Dispose()
    {
        Release();
        _lock.Dispose();
    }
}
