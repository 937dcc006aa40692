using Fossil.Kv.Search;
using Fossil.Kv.Segments;

namespace Fossil.Kv;

public sealed partial class EventStore
{
    /// <summary>
    /// The <see cref="VectorSearchQuery.K"/> events nearest to the query vector, nearest first, over every
    /// retained (Active or Sealed) segment whose window meets the query's time range. The query fans out in
    /// parallel to each segment's index (sealed segments' files, materialized here on demand, and the
    /// in-memory indexes of the others) and the per-segment top k are merged. Every event committed before
    /// the call is searched. Events without a vector are never found.
    /// </summary>
    /// <exception cref="InvalidRequestException">Wrong dimension, a non-finite, too long or (cosine) zero vector, k or ef out of range, to before from, or an invalid entity or stream prefix.</exception>
    public Task<IReadOnlyList<VectorSearchResult>> SearchAsync(VectorSearchQuery query, CancellationToken cancellationToken = default) =>
        CallTimer.Timed(CallTimer.Start(), SearchCoreAsync(query, cancellationToken), StoreMetrics.SearchSeconds, StoreMetrics.SearchKindVector, cancellationToken);

    private async Task<IReadOnlyList<VectorSearchResult>> SearchCoreAsync(VectorSearchQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        await EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        var settings = await _catalog.GetSettingsAsync(cancellationToken).ConfigureAwait(false);
        if (settings.VectorDimension == 0)
        {
            // Another node may have fixed the dimension since the cached read.
            _catalog.ForgetSettings();
            settings = await _catalog.GetSettingsAsync(cancellationToken).ConfigureAwait(false);
        }
        query.Validate(settings);
        if (settings.VectorDimension == 0) return []; // no event has a vector yet

        var filter = new SearchFilter(query);
        var ef = Math.Max(query.Ef ?? settings.HnswEfSearch, query.K);
        var pool = await OpenSearchPoolAsync(query.From, query.To, cancellationToken).ConfigureAwait(false);
        var answers = await Task.WhenAll(pool.Select(segment => Task.Run(
            () => segment.Search(query.Vector, query.K, ef, filter) ?? FilesOf(segment.Segment)?.Search(query.Vector, query.K, ef, filter) ?? [],
            cancellationToken))).ConfigureAwait(false);
        var nearest = answers.SelectMany(a => a).OrderBy(r => r.Distance).ThenBy(r => r.Event.Position).Take(query.K);
        // float32 rounding leaves an identical vector at a cosine distance of about -1e-7; cosine and l2 are never below 0.
        return settings.Metric == Vectors.VectorMetric.InnerProduct
            ? [.. nearest]
            : [.. nearest.Select(r => r.Distance < 0 ? r with { Distance = 0 } : r)];
    }

    /// <summary>
    /// Starts indexing the segments this node has no files for (normally the first query does), so that the
    /// first query does not wait for the catch-up. A node calls it at start-up.
    /// </summary>
    public async Task StartSearchIndexingAsync(CancellationToken cancellationToken = default)
    {
        await EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        await _search.EnsureStartedAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Checks an entity query's name and limit, then every retained segment's search view.</summary>
    private async Task<List<ISearchSegment>> OpenEntityPoolAsync(string entity, int limit, CancellationToken cancellationToken)
    {
        EntityNames.EnsureValid(entity);
        EntityNames.EnsureLimit(limit);
        await EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        return await OpenSearchPoolAsync(null, null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Events that mention <paramref name="entity"/>, across retained segments, in global position order
    /// (oldest first), at most <paramref name="limit"/> (1–1000).
    /// </summary>
    /// <exception cref="InvalidRequestException">The entity is empty or the limit is out of range.</exception>
    public Task<IReadOnlyList<RecordedEvent>> ReadEntityEventsAsync(string entity, int limit = 100, CancellationToken cancellationToken = default) =>
        CallTimer.Timed(CallTimer.Start(), ReadEntityEventsCoreAsync(entity, limit, cancellationToken), StoreMetrics.ReadSeconds, StoreMetrics.ReadKindEntity, cancellationToken);

    private async Task<IReadOnlyList<RecordedEvent>> ReadEntityEventsCoreAsync(string entity, int limit, CancellationToken cancellationToken)
    {
        var pool = await OpenEntityPoolAsync(entity, limit, cancellationToken).ConfigureAwait(false);
        // Each segment's postings are in commit order, so its first `limit` are all it can contribute.
        var events = new List<RecordedEvent>();
        foreach (var segment in pool)
            events.AddRange(segment.ReadEntity(entity, limit) ?? FilesOf(segment.Segment)?.ReadEntity(entity, limit) ?? []);
        return [.. events.OrderBy(e => e.Position).Take(limit)];
    }

    /// <summary>
    /// The entities that co-occur with <paramref name="entity"/> in retained events, each weighted by the number
    /// of events that mention both, summed over the segments; heaviest first, ties by name (ordinal), at most
    /// <paramref name="limit"/> (1–1000). Weights are kept per segment, so an evicted segment takes away
    /// exactly its own share.
    /// </summary>
    /// <exception cref="InvalidRequestException">The entity is empty or the limit is out of range.</exception>
    public Task<IReadOnlyList<RelatedEntity>> GetRelatedEntitiesAsync(string entity, int limit = 100, CancellationToken cancellationToken = default) =>
        CallTimer.Timed(CallTimer.Start(), GetRelatedEntitiesCoreAsync(entity, limit, cancellationToken), StoreMetrics.SearchSeconds, StoreMetrics.SearchKindRelated, cancellationToken);

    private async Task<IReadOnlyList<RelatedEntity>> GetRelatedEntitiesCoreAsync(string entity, int limit, CancellationToken cancellationToken)
    {
        var pool = await OpenEntityPoolAsync(entity, limit, cancellationToken).ConfigureAwait(false);
        var weights = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var segment in pool)
        {
            foreach (var pair in segment.GetRelated(entity) ?? FilesOf(segment.Segment)?.GetRelated(entity) ?? [])
                weights[pair.Other] = weights.GetValueOrDefault(pair.Other) + pair.Count;
        }
        return [.. weights
            .OrderByDescending(w => w.Value)
            .ThenBy(w => w.Key, StringComparer.Ordinal)
            .Take(limit)
            .Select(w => new RelatedEntity(w.Key, w.Value))];
    }

    /// <summary>
    /// The search pool: one index per Active or Sealed segment whose window meets [from, to]. Sealed segments
    /// with local files use them (and their in-memory index is let go); segments whose whole history the
    /// follower has seen use their in-memory index once it has caught up with the catalog; any other sealed
    /// segment is materialized here first. Expiring and dropped segments are never in it.
    /// </summary>
    private async Task<List<ISearchSegment>> OpenSearchPoolAsync(DateTimeOffset? from, DateTimeOffset? to, CancellationToken cancellationToken)
    {
        await _search.EnsureStartedAsync(cancellationToken).ConfigureAwait(false);
        var (segments, snapshot) = await _catalog.ListSegmentsAsync(cancellationToken).ConfigureAwait(false);
        _search.ReleaseSettled(segments, snapshot);
        var pool = new List<ISearchSegment>();
        foreach (var view in segments)
        {
            var record = view.Record;
            if (record.Status is not (SegmentStatus.Active or SegmentStatus.Sealed)) continue;
            if ((from is { } start && record.TimeRange.End <= start.UtcDateTime) || (to is { } end && record.TimeRange.Start > end.UtcDateTime)) continue;
            if (record.Status == SegmentStatus.Sealed && FilesOf(record.Id) is { } files)
            {
                pool.Add(files);
                continue;
            }
            if (_search.Covers(view))
            {
                if (await _search.WaitForAsync(view, cancellationToken).ConfigureAwait(false) is { } index)
                {
                    pool.Add(index);
                    continue;
                }
                // No index: the segment has no events, or it was sealed and its files came into place (and its index
                // was let go) while this query waited for the index to catch up. Then the files serve it, though the
                // record this query read still says Active.
                if (FilesOf(record.Id) is { } settled)
                {
                    pool.Add(settled);
                    continue;
                }
                if (record.Status != SegmentStatus.Sealed || record.DocumentCount == 0) continue;
            }
            if (record.Status == SegmentStatus.Sealed && await MaterializeForSearchAsync(view, cancellationToken).ConfigureAwait(false) is { } built)
                pool.Add(built);
        }
        return pool;
    }

    private async Task<ISearchSegment?> MaterializeForSearchAsync(SegmentView segment, CancellationToken cancellationToken) =>
        await FilesOfSealedAsync(segment, cancellationToken).ConfigureAwait(false) is { } files ? new FileSearchSegment(segment.Record.Id, files) : null;

    /// <summary>Segments searched through an in-memory index on this node now.</summary>
    internal int InMemorySearchSegments => _search.Count;

    /// <summary>The files of a segment whose in-memory index was released during a query (it was just materialized).</summary>
    /// <summary>The segment's local files as a search index, when this node has them.</summary>
    private FileSearchSegment? FilesOf(SegmentId segment) =>
        _local.TryGet(segment) is { } files ? new FileSearchSegment(segment, files) : null;
}
