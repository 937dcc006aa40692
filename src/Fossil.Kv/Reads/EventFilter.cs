namespace Fossil.Kv;

/// <summary>Which events a read of the global log or a subscription passes on: by stream prefix and by event type.</summary>
public sealed record EventFilter(string? StreamPrefix = null, string? EventType = null)
{
    public static EventFilter None { get; } = new();

    public bool Matches(RecordedEvent e) =>
        (StreamPrefix is null || e.Stream.StartsWith(StreamPrefix, StringComparison.Ordinal))
        && (EventType is null || e.Type == EventType);

    internal bool Matches(Records.EventRecord e) =>
        (StreamPrefix is null || e.Stream.StartsWith(StreamPrefix, StringComparison.Ordinal))
        && (EventType is null || e.Type == EventType);
}
