namespace Fossil.Kv;

/// <summary>A page of the global log (<see cref="EventStore.ReadAllPageAsync"/>) and the position to read the next one from.</summary>
/// <param name="Events">The page's events that passed the filter, in position order; may be empty even when the log goes on.</param>
/// <param name="Next">Where the next page starts (inclusive): past everything this page read, matched or not.</param>
public sealed record GlobalLogPage(IReadOnlyList<RecordedEvent> Events, Position Next);
