namespace Fossil.Kv;

/// <summary>Which events a read of the global log or a subscription passes on: by stream prefix and by event type.</summary>
/// <param name="StreamPrefix">Only events of streams whose names start with this (ordinal); null or empty for every stream.</param>
/// <param name="EventType">Only events of exactly this type (ordinal); null for every type.</param>
public sealed record EventFilter(string? StreamPrefix = null, string? EventType = null)
{
    /// <summary>Passes every event.</summary>
    public static EventFilter None { get; } = new();

    /// <summary>Throws <see cref="InvalidRequestException"/> when the stream prefix is no text a stream name could begin with.</summary>
    public void EnsureValid() => EnsureValidPrefix(StreamPrefix, "streamPrefix");

    /// <summary>A stream prefix must be text a stream name could begin with (no control characters, at most a name's length).</summary>
    internal static void EnsureValidPrefix(string? prefix, string what)
    {
        if (string.IsNullOrEmpty(prefix)) return;
        if (Keyspace.StreamName.Validate(prefix) is { } problem)
            throw new InvalidRequestException($"{what} is not the start of a valid stream name: {problem.Replace("stream name", "it", StringComparison.Ordinal)}.");
    }

    /// <summary>Whether <paramref name="e"/> passes: its stream starts with <see cref="StreamPrefix"/> and its type equals <see cref="EventType"/> (ordinal; null matches all).</summary>
    public bool Matches(RecordedEvent e) =>
        (StreamPrefix is null || e.Stream.StartsWith(StreamPrefix, StringComparison.Ordinal))
        && (EventType is null || e.Type == EventType);

    internal bool Matches(Records.EventRecord e) =>
        (StreamPrefix is null || e.Stream.StartsWith(StreamPrefix, StringComparison.Ordinal))
        && (EventType is null || e.Type == EventType);
}
