using System.Diagnostics.Metrics;

namespace Fossil.Kv.Etcd;

/// <summary>
/// The client's instruments, on the standard <see cref="Meter"/> named <see cref="EtcdClient.MeterName"/>, so any .NET
/// metrics listener (a Prometheus endpoint, OpenTelemetry, dotnet-counters) can read them.
/// </summary>
internal static class EtcdClientMetrics
{
    private static readonly Meter Meter = new(EtcdClient.MeterName);

    /// <summary>Every failed attempt of a call or watch, whoever made it (appends, reads, leases, background work).</summary>
    private static readonly Counter<long> Errors = Meter.CreateCounter<long>(
        "fossil_etcd_errors_total", description: "etcd call failures by kind (each failed attempt, retried or not)");

    /// <summary>Counts <paramref name="error"/> under its kind: the exception type without its Etcd prefix and Exception suffix.</summary>
    public static EtcdException Failed(EtcdException error)
    {
        var name = error.GetType().Name;
        name = name.StartsWith("Etcd", StringComparison.Ordinal) ? name[4..] : name;
        name = name.EndsWith("Exception", StringComparison.Ordinal) ? name[..^9] : name;
        Errors.Add(1, new KeyValuePair<string, object?>("kind", name.Length == 0 ? "other" : name.ToLowerInvariant()));
        return error;
    }
}
