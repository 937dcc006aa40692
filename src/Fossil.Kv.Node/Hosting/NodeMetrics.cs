using System.Diagnostics.Metrics;
using Fossil.Kv.Segments;

namespace Fossil.Kv.Node.Hosting;

/// <summary>The node's own instruments (meter <c>Fossil.Kv.Node</c>): segments by status, open subscriptions and their lag.</summary>
internal sealed class NodeMetrics : IDisposable
{
    public const string MeterName = "Fossil.Kv.Node";

    private readonly Meter _meter = new(MeterName);
    private readonly EventStore _store;
    private IReadOnlyDictionary<SegmentStatus, int> _segments = new Dictionary<SegmentStatus, int>();
    private readonly Histogram<double> _subscriptionLag;
    private int _subscriptions;

    public NodeMetrics(EventStore store)
    {
        _store = store;
        _meter.CreateObservableGauge("fossil_segments", () => Enum.GetValues<SegmentStatus>()
            .Select(status => new Measurement<int>(_segments.GetValueOrDefault(status), new KeyValuePair<string, object?>("status", SegmentRecord.StatusName(status)))),
            description: "Segments in the catalog by status");
        _meter.CreateObservableGauge("fossil_subscriptions", () => Volatile.Read(ref _subscriptions), description: "Open SSE subscriptions on this node");
        _subscriptionLag = _meter.CreateHistogram<double>("fossil_subscription_lag_seconds", "s",
            "How long after its commit an event reached an SSE subscriber: about the commit latency when live, the age of history during catch-up");
    }

    public void RecordDelivery(DateTimeOffset committedAt) => _subscriptionLag.Record(Math.Max(0, (DateTimeOffset.UtcNow - committedAt).TotalSeconds));

    /// <summary>How long a scrape waits for the catalog; the process's own counters must be served during an etcd outage too.</summary>
    private static readonly TimeSpan CatalogWait = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Reads the segment catalog for the <c>segments by status</c> gauge. When etcd does not answer within <see cref="CatalogWait"/>
    /// the gauge keeps its last values: a scrape that failed would hide the etcd error counters exactly when they matter.
    /// </summary>
    public async Task RefreshSegmentGaugesAsync(CancellationToken cancellationToken)
    {
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        wait.CancelAfter(CatalogWait);
        try
        {
            var segments = await _store.ListSegmentsAsync(wait.Token);
            _segments = segments.GroupBy(s => s.Status).ToDictionary(g => g.Key, g => g.Count());
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested
            && e is OperationCanceledException or StoreUnavailableException or Etcd.EtcdException or HttpRequestException or TimeoutException)
        {
            // Stale by design (see above).
        }
    }

    public IDisposable TrackSubscription()
    {
        Interlocked.Increment(ref _subscriptions);
        return new Release(this);
    }

    public void Dispose() => _meter.Dispose();

    private sealed class Release(NodeMetrics metrics) : IDisposable
    {
        public void Dispose() => Interlocked.Decrement(ref metrics._subscriptions);
    }
}
