using Fossil.Kv.Reads;
using Fossil.Kv.SegmentFiles;
using Fossil.Kv.Segments;

namespace Fossil.Kv.Search;

/// <summary>A sealed segment searched through its memory-mapped files: <c>vectors.hnsw</c> and <c>entities.idx</c>.</summary>
internal sealed class FileSearchSegment(SegmentId segment, SegmentFileSet files) : ISearchSegment
{
    public SegmentId Segment { get; } = segment;

    public IReadOnlyList<VectorSearchResult> Search(float[] query, int k, int ef, SearchFilter filter)
    {
        if (files.Vectors is not { } vectors || vectors.Count == 0) return [];
        HashSet<long>? mentioning = null;
        if (filter.Entity is { } entity)
        {
            var postings = files.ReadEntity(entity);
            if (postings.Count == 0) return [];
            mentioning = new HashSet<long>(postings.Count);
            foreach (var document in postings) mentioning.Add(document.SegmentPosition);
        }
        Func<long, bool>? accept = (mentioning, filter.IsEmpty) switch
        {
            (null, true) => null,
            (not null, true) => mentioning.Contains,
            _ => label => (mentioning is null || mentioning.Contains(label)) && files.TryGet(label, out var document) && filter.Matches(document.Parse()),
        };
        var matches = vectors.Search(query, k, ef, accept);
        var results = new List<VectorSearchResult>(matches.Count);
        foreach (var match in matches)
            if (files.TryGet(match.Label, out var document)) results.Add(new VectorSearchResult(match.Distance, ToEvent(document)));
        return results;
    }

    public IReadOnlyList<RecordedEvent> ReadEntity(string entity, int limit)
    {
        var events = new List<RecordedEvent>();
        foreach (var document in files.ReadEntity(entity))
        {
            if (events.Count == limit) break;
            events.Add(ToEvent(document));
        }
        return events;
    }

    public IReadOnlyList<EntityCoOccurrence> GetRelated(string entity) => files.GetRelatedEntities(entity);

    private RecordedEvent ToEvent(SegmentDocument document) =>
        new RecordDecoder().Decode(document.Record.Span, Segment.ToString(), document.SegmentPosition, document.CommitRevision);
}
