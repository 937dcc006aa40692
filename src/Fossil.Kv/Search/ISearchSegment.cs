using Fossil.Kv.SegmentFiles;
using Fossil.Kv.Segments;

namespace Fossil.Kv.Search;

/// <summary>
/// One segment of the search pool, wherever its index lives: the sealed segment's files or the in-memory
/// index of a segment still taking writes. Each answer is this segment's part only; the store merges them.
/// A null answer means the index was released meanwhile (the segment was sealed and materialized, or left
/// the pool): ask the segment's files instead.
/// </summary>
internal interface ISearchSegment
{
    SegmentId Segment { get; }

    /// <summary>Up to <paramref name="k"/> nearest events that pass <paramref name="filter"/>, nearest first.</summary>
    IReadOnlyList<VectorSearchResult>? Search(float[] query, int k, int ef, SearchFilter filter);

    /// <summary>The first <paramref name="limit"/> events that mention <paramref name="entity"/>, in segment order.</summary>
    IReadOnlyList<RecordedEvent>? ReadEntity(string entity, int limit);

    /// <summary>This segment's co-occurrence counts of <paramref name="entity"/> with every other entity.</summary>
    IReadOnlyList<EntityCoOccurrence>? GetRelated(string entity);
}
