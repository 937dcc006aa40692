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

    public static readonly Histogram<long> BatchAppends = Meter.CreateHistogram<long>("fossil_group_commit_batch_appends", description: "Appends per committed etcd transaction");

    public static readonly Counter<long> TxnConflicts = Meter.CreateCounter<long>("fossil_txn_conflicts_total", description: "Append transactions that lost a compare");

    public static string Outcome(Exception exception) => exception switch
    {
        WrongExpectedVersionException or DuplicateEventIdException => "conflict",
        InvalidRequestException or AppendTooLargeException => "invalid",
        StoreUnavailableException or StoreFullException => "unavailable",
        _ => "error",
    };
}
