using Fossil.Kv.Records;

namespace Fossil.Kv.Search;

/// <summary>The event filters of a search: timestamp range (inclusive), stream prefix and entity.</summary>
internal sealed class SearchFilter
{
    private readonly long _fromTicks;
    private readonly long _toTicks;
    private readonly string? _streamPrefix;

    public SearchFilter(VectorSearchQuery query)
    {
        _fromTicks = query.From is { } from ? (from - DateTimeOffset.UnixEpoch).Ticks : long.MinValue;
        _toTicks = query.To is { } to ? (to - DateTimeOffset.UnixEpoch).Ticks : long.MaxValue;
        _streamPrefix = string.IsNullOrEmpty(query.StreamPrefix) ? null : query.StreamPrefix;
        Entity = query.Entity;
        // The entity is checked through each segment's postings, not per event.
        IsEmpty = query.From is null && query.To is null && _streamPrefix is null;
    }

    /// <summary>Events must mention it; segments answer this from their entity postings.</summary>
    public string? Entity { get; }

    /// <summary>True when only the entity (if any) constrains the results.</summary>
    public bool IsEmpty { get; }

    public bool Matches(RecordedEvent e) => Matches(e.Stream, (e.Timestamp - DateTimeOffset.UnixEpoch).Ticks);

    public bool Matches(EventRecord record) => Matches(record.Stream, record.TimestampUs * TimeSpan.TicksPerMicrosecond);

    private bool Matches(string stream, long ticks) =>
        ticks >= _fromTicks && ticks <= _toTicks
        && (_streamPrefix is null || stream.StartsWith(_streamPrefix, StringComparison.Ordinal));
}
