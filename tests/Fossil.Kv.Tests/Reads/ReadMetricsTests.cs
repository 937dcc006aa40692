using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Fossil.Kv.Tests.Reads;

/// <summary><c>fossil_read_duration_seconds</c> and <c>fossil_search_duration_seconds</c>: one measurement per public call, by kind and outcome.</summary>
[Collection(EtcdCollection.Name)]
public sealed class ReadMetricsTests(EtcdFixture etcd)
{
    private static EventData Noted(float[]? vector = null, params string[] entities) =>
        new(null, "noted", "{}"u8.ToArray()) { Vector = vector, Entities = entities.Length == 0 ? null : entities };

    [Fact]
    public async Task every_read_is_timed_once_by_kind_and_outcome()
    {
        await using var store = await StoreFactory.CreateAsync(etcd.Endpoints, o => o.Segment.Partitions = 1);
        var written = await store.AppendToStreamAsync("timed", StreamState.Any, [Noted(null, "acme"), Noted(null, "acme")]);
        using var measured = new Measurements();

        await store.ReadStreamAsync("timed").ToListAsync();
        await store.ReadStreamAsync("timed").Take(1).ToListAsync();
        await Assert.ThrowsAsync<StreamNotFoundException>(async () => await store.ReadStreamAsync("missing").ToListAsync());
        await store.ReadAllAsync(Position.Start).ToListAsync();
        await store.ReadAllPageAsync(Position.Start, 10);
        await store.ReadSegmentAsync(written.Segment).ToListAsync();
        await Assert.ThrowsAsync<SegmentNotFoundException>(async () => await store.ReadSegmentAsync("20000101T000000Z-p00-g000").ToListAsync());
        await store.ReadEntityEventsAsync("acme");

        // A caller that stops a streamed read early got what it asked for: ok. A missing stream or segment is the caller's
        // miss, not the store's error.
        Assert.Equal(
        [
            ("fossil_read_duration_seconds", "stream", "ok"),
            ("fossil_read_duration_seconds", "stream", "ok"),
            ("fossil_read_duration_seconds", "stream", "not_found"),
            ("fossil_read_duration_seconds", "all", "ok"),
            ("fossil_read_duration_seconds", "all", "ok"),
            ("fossil_read_duration_seconds", "segment", "ok"),
            ("fossil_read_duration_seconds", "segment", "not_found"),
            ("fossil_read_duration_seconds", "entity", "ok"),
        ], measured.Taken.Select(m => (m.Instrument, m.Kind, m.Outcome)));
    }

    [Fact]
    public async Task every_search_is_timed_once_by_kind_and_outcome()
    {
        await using var store = await StoreFactory.CreateAsync(etcd.Endpoints, o => o.Segment.Partitions = 1);
        await store.AppendToStreamAsync("timed", StreamState.Any, [Noted([1, 0, 0, 0], "acme", "globex"), Noted([0, 1, 0, 0], "acme")]);
        using var measured = new Measurements();

        await store.SearchAsync(new VectorSearchQuery([1, 0, 0, 0], 1));
        await Assert.ThrowsAsync<InvalidRequestException>(() => store.SearchAsync(new VectorSearchQuery([1, 0, 0], 1)));
        await store.GetRelatedEntitiesAsync("acme");

        Assert.Equal(
        [
            ("fossil_search_duration_seconds", "vector", "ok"),
            ("fossil_search_duration_seconds", "vector", "invalid"),
            ("fossil_search_duration_seconds", "related", "ok"),
        ], measured.Taken.Select(m => (m.Instrument, m.Kind, m.Outcome)));
    }

    [Fact]
    public async Task a_streamed_read_is_timed_without_the_time_its_caller_holds_each_event()
    {
        await using var store = await StoreFactory.CreateAsync(etcd.Endpoints);
        await store.AppendToStreamAsync("held", StreamState.Any, StoreFactory.Events(2));
        var hold = TimeSpan.FromSeconds(1);
        using var measured = new Measurements();

        // The caller's own work between events (here a delay, not a wait for anything): the store's latency must not include it.
        await foreach (var _ in store.ReadStreamAsync("held")) await Task.Delay(hold);

        var seconds = Assert.Single(measured.Taken).Seconds;
        Assert.True(seconds < hold.TotalSeconds, $"the read was timed at {seconds:0.###} s, with the caller's {2 * hold.TotalSeconds} s in it");
    }

    [Fact]
    public async Task a_read_its_caller_cancels_is_not_timed()
    {
        await using var store = await StoreFactory.CreateAsync(etcd.Endpoints);
        await store.AppendToStreamAsync("cancelled", StreamState.Any, StoreFactory.Events(1));
        using var cancel = new CancellationTokenSource();
        await cancel.CancelAsync();
        using var measured = new Measurements();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await store.ReadStreamAsync("cancelled", cancellationToken: cancel.Token).ToListAsync());
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => store.ReadEntityEventsAsync("acme", cancellationToken: cancel.Token));

        Assert.Empty(measured.Taken);
    }

    /// <summary>
    /// The read and search measurements made in the creating test's own async flow: the instruments are static, so other
    /// tests' stores record to them at the same time.
    /// </summary>
    private sealed class Measurements : IDisposable
    {
        private static readonly AsyncLocal<Measurements?> Current = new();
        private readonly MeterListener _listener = new();
        private readonly ConcurrentQueue<(string Instrument, string Kind, string Outcome, double Seconds)> _taken = new();

        public Measurements()
        {
            Current.Value = this;
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == EventStore.MeterName && instrument.Name is "fossil_read_duration_seconds" or "fossil_search_duration_seconds")
                    listener.EnableMeasurementEvents(instrument);
            };
            _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) =>
            {
                if (Current.Value != this) return;
                string? kind = null, outcome = null;
                foreach (var (key, tag) in tags)
                {
                    if (key == "kind") kind = tag as string;
                    else if (key == "outcome") outcome = tag as string;
                }
                _taken.Enqueue((instrument.Name, kind ?? "", outcome ?? "", value));
            });
            _listener.Start();
        }

        public IReadOnlyList<(string Instrument, string Kind, string Outcome, double Seconds)> Taken => [.. _taken];

        public void Dispose() => _listener.Dispose();
    }
}
