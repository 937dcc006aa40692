using System.Diagnostics.Metrics;

namespace Fossil.Kv;

/// <summary>
/// The store's instruments, on the standard <see cref="Meter"/> named <c>Fossil.Kv</c>, so any .NET metrics
/// listener (the node's Prometheus endpoint, OpenTelemetry, dotnet-counters) can read them.
/// </summary>
internal static class StoreMetrics
{
    public const string MeterName = "Fossil.Kv";

    private static readonly Meter Meter = new(MeterName);

    /// <summary>Appends by outcome: created, repeat, conflict, invalid, unavailable, error.</summary>
    public static readonly Counter<long> Appends = Meter.CreateCounter<long>("fossil_appends_total", description: "Appends by outcome");

    public static readonly Counter<long> EventsAppended = Meter.CreateCounter<long>("fossil_events_appended_total", description: "Events written by appends");

    public static readonly Histogram<double> AppendSeconds = Meter.CreateHistogram<double>("fossil_append_duration_seconds", "s", "Append latency, from call to answer");

    /// <summary>
    /// Reads of events, by <c>kind</c> (<see cref="ReadKindStream"/>, <see cref="ReadKindAll"/>, <see cref="ReadKindSegment"/>,
    /// <see cref="ReadKindEntity"/>) and <c>outcome</c> (<see cref="Outcome"/>), one per call (<see cref="CallTimer"/>). A stream's info
    /// (<see cref="EventStore.GetStreamAsync"/>), subscriptions' catch-up and <see cref="EventStore.OpenSealedSegmentAsync"/> are not reads of events here.
    /// </summary>
    public static readonly Histogram<double> ReadSeconds = Meter.CreateHistogram<double>("fossil_read_duration_seconds", "s",
        "Event read latency by kind (stream, all, segment, entity) and outcome (ok, not_found, invalid, unavailable, error), from call to answer; a streamed read counts once when it ends, without the caller's time between events");

    /// <summary>Queries over the segments' indexes, by <c>kind</c> (<see cref="SearchKindVector"/>, <see cref="SearchKindRelated"/>) and <c>outcome</c> (<see cref="Outcome"/>).</summary>
    public static readonly Histogram<double> SearchSeconds = Meter.CreateHistogram<double>("fossil_search_duration_seconds", "s",
        "Search latency by kind (vector: nearest events, related: co-occurring entities) and outcome (ok, not_found, invalid, unavailable, error), from call to answer");

    /// <summary><see cref="EventStore.ReadStreamAsync(string, Direction, long?, long, CancellationToken)"/> (either overload).</summary>
    public const string ReadKindStream = "stream";

    /// <summary><see cref="EventStore.ReadAllAsync"/> and <see cref="EventStore.ReadAllPageAsync"/>.</summary>
    public const string ReadKindAll = "all";

    /// <summary><see cref="EventStore.ReadSegmentAsync"/>.</summary>
    public const string ReadKindSegment = "segment";

    /// <summary><see cref="EventStore.ReadEntityEventsAsync"/>: events, so a read, though it goes through the search pool.</summary>
    public const string ReadKindEntity = "entity";

    /// <summary><see cref="EventStore.SearchAsync"/>.</summary>
    public const string SearchKindVector = "vector";

    /// <summary><see cref="EventStore.GetRelatedEntitiesAsync"/>: a ranking over every segment's entity graph, not a read of events.</summary>
    public const string SearchKindRelated = "related";

    public static readonly Histogram<long> BatchAppends = Meter.CreateHistogram<long>("fossil_group_commit_batch_appends", description: "Appends per committed etcd transaction");

    public static readonly Counter<long> TxnConflicts = Meter.CreateCounter<long>("fossil_txn_conflicts_total", description: "Append transactions that lost a compare");

    /// <summary>
    /// What a failed append, read or search comes to, for their metrics: the caller's misses (conflict, not_found, invalid)
    /// apart from the store's failures (unavailable, error), so an error rate on a dashboard is the store's.
    /// </summary>
    public static string Outcome(Exception exception) => exception switch
    {
        WrongExpectedVersionException or DuplicateEventIdException => "conflict",
        StreamNotFoundException or SegmentNotFoundException => "not_found",
        InvalidRequestException or AppendTooLargeException or ArgumentException => "invalid",
        StoreUnavailableException or StoreFullException => "unavailable",
        _ => "error",
    };
}
