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

    /// <summary>etcd failures by kind (the exception type without its Etcd prefix and Exception suffix).</summary>
    public static readonly Counter<long> EtcdErrors = Meter.CreateCounter<long>("fossil_etcd_errors_total", description: "etcd failures seen by appends, by kind");

    public static string Outcome(Exception exception) => exception switch
    {
        WrongExpectedVersionException or DuplicateEventIdException => "conflict",
        InvalidRequestException or AppendTooLargeException => "invalid",
        StoreUnavailableException or StoreFullException => "unavailable",
        _ => "error",
    };

    public static void EtcdError(Exception exception)
    {
        var inner = exception is FossilException { InnerException: { } cause } ? cause : exception;
        if (inner is not Etcd.EtcdException) return;
        var name = inner.GetType().Name;
        name = name.StartsWith("Etcd", StringComparison.Ordinal) ? name[4..] : name;
        name = name.EndsWith("Exception", StringComparison.Ordinal) ? name[..^9] : name;
        EtcdErrors.Add(1, new KeyValuePair<string, object?>("kind", name.Length == 0 ? "other" : name.ToLowerInvariant()));
    }
}
