namespace Fossil.Kv;

/// <summary>A page of the global log (<see cref="EventStore.ReadAllPageAsync"/>) and the position to read the next one from.</summary>
public sealed record GlobalLogPage(IReadOnlyList<RecordedEvent> Events, Position Next);
