using Fossil.Kv.Keyspace;
using Fossil.Kv.Segments;

namespace Fossil.Kv.Tests.Segments;

[Collection(EtcdCollection.Name)]
public sealed class RotationTests(EtcdFixture etcd)
{
    [Fact]
    public async Task windows_rotate_under_concurrent_writers_without_losing_or_misplacing_events()
    {
        await using var store = await StoreFactory.CreateAsync(etcd.Endpoints, o =>
        {
            o.Segment.Duration = "1s";
            o.Segment.Partitions = 2;
        });
        var acknowledged = new System.Collections.Concurrent.ConcurrentBag<AppendResult>();
        var until = DateTime.UtcNow.AddSeconds(4.5);
        var writers = Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
        {
            var i = 0;
            while (DateTime.UtcNow < until)
            {
                var stream = $"rot-{(w + i++) % 5}";
                acknowledged.Add(await store.AppendToStreamAsync(stream, StreamState.Any, StoreFactory.Events(1 + i % 3)));
            }
        })).ToArray();
        await Task.WhenAll(writers);

        // Every acknowledged event is in its stream exactly once, versions contiguous across segments.
        var segmentsSeen = new HashSet<string>();
        for (var s = 0; s < 5; s++)
        {
            var stream = $"rot-{s}";
            var events = await store.ReadStreamAsync(stream).ToListAsync();
            Assert.Equal(Enumerable.Range(0, events.Count).Select(v => (long)v), events.Select(e => e.Version));
            var expected = acknowledged.Where(a => a.Stream == stream).SelectMany(a => Enumerable.Range((int)a.FirstVersion, (int)(a.LastVersion - a.FirstVersion + 1))).Order();
            Assert.Equal(expected.Select(v => (long)v), events.Select(e => e.Version));
            Assert.True((await store.GetStreamAsync(stream)).Segments.Count > 1, $"{stream} should have crossed windows");
            foreach (var e in events) segmentsSeen.Add(e.Segment);
        }
        Assert.True(segmentsSeen.Select(s => SegmentId.Parse(s).WindowStart).Distinct().Count() >= 3, "writes should span at least three windows");

        // Nothing was written into a segment after it was sealed: every batch committed before the seal.
        var (segments, _) = await store.Catalog.ListSegmentsAsync(CancellationToken.None);
        var sealedSegments = segments.Where(s => s.Record.Status == SegmentStatus.Sealed).ToArray();
        Assert.NotEmpty(sealedSegments);
        foreach (var segment in sealedSegments)
        {
            var prefix = store.Context.Keys.BatchPrefix(segment.Record.Id);
            var batches = await store.Etcd.RangeAsync(Ops.Range(prefix, KeyLayout.PrefixEnd(prefix), keysOnly: true));
            Assert.All(batches.Kvs, kv => Assert.True(kv.ModRevision < segment.ModRevision, $"batch in {segment.Record.SegmentId} committed after its seal"));
            Assert.Equal(segment.Record.DocumentCount, (await store.ReadAllAsync(Position.Start).ToListAsync()).Count(e => e.Segment == segment.Record.SegmentId));
        }

        // The global log has every event once, in strictly increasing positions.
        var log = await store.ReadAllAsync(Position.Start).ToListAsync();
        Assert.Equal(acknowledged.Sum(a => a.LastVersion - a.FirstVersion + 1), log.Count);
        Assert.True(log.Zip(log.Skip(1)).All(p => p.First.Position < p.Second.Position));
    }

    [Fact]
    public async Task a_segment_over_max_size_rotates_its_partition_within_the_window()
    {
        await using var store = await StoreFactory.CreateAsync(etcd.Endpoints, o =>
        {
            o.Segment.MaxSize = "1MB";
            o.Segment.Partitions = 1;
        });
        var payload = new string('x', 60_000);

        for (var i = 0; i < 40; i++) await store.AppendToStreamAsync("big", StreamState.Any, [StoreFactory.Json("blob", $"{{\"p\":\"{payload}\"}}")]);
        var events = await store.ReadStreamAsync("big").ToListAsync();
        var segments = events.Select(e => SegmentId.Parse(e.Segment)).Distinct().ToArray();

        Assert.Equal(40, events.Count);
        Assert.True(segments.Length >= 2, "the partition should have rotated to a new generation");
        Assert.Single(segments.Select(s => s.WindowStart).Distinct());
        Assert.Equal(Enumerable.Range(0, segments.Length), segments.Select(s => s.Generation));
    }

    [Fact]
    public async Task sealing_an_active_segment_by_hand_moves_its_partition_on_and_is_idempotent()
    {
        await using var store = await StoreFactory.CreateAsync(etcd.Endpoints, o => o.Segment.Partitions = 1);
        var first = await store.AppendToStreamAsync("hand", StreamState.Any, StoreFactory.Events(2));

        var sealedRecord = await store.SealSegmentAsync(first.Segment);
        var again = await store.SealSegmentAsync(first.Segment);
        var next = await store.AppendToStreamAsync("hand", StreamState.StreamRevision(1), StoreFactory.Events(1));

        Assert.Equal(SegmentStatus.Sealed, sealedRecord.Status);
        Assert.Equal(sealedRecord, again);
        Assert.NotEqual(first.Segment, next.Segment);
        Assert.Equal(2, next.LastVersion);
        Assert.Equal([first.Segment, next.Segment], (await store.GetStreamAsync("hand")).Segments.Select(s => s.Segment));
        await Assert.ThrowsAsync<SegmentNotFoundException>(() => store.SealSegmentAsync("20000101T000000Z-p00-g000"));
    }

    private static readonly DateTime Midnight = new(2030, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    private Task<EventStore> StoreOnClockAsync(ManualClock clock, string duration, string? prefix = null) =>
        StoreFactory.CreateAsync(etcd.Endpoints, o =>
        {
            if (prefix is not null) o.RootPrefix = prefix;
            o.TimeProvider = clock;
            o.Segment.Duration = duration;
            o.Segment.Partitions = 1;
        });

    private static async Task<SegmentId> AppendAsync(EventStore store) =>
        SegmentId.Parse((await store.AppendToStreamAsync("timed", StreamState.Any, StoreFactory.Events(1))).Segment);

    [Fact]
    public async Task a_shorter_duration_applies_at_its_next_boundary_and_the_cut_window_ends_when_it_stopped_taking_writes()
    {
        var clock = new ManualClock(Midnight);
        await using var store = await StoreOnClockAsync(clock, "1h");
        var hourly = await AppendAsync(store);
        clock.Advance(TimeSpan.FromMinutes(10) + TimeSpan.FromSeconds(20));

        await store.UpdateSettingsAsync(new System.Text.Json.Nodes.JsonObject { ["segment.duration"] = "1m" });
        var minutely = await AppendAsync(store);

        // Not at 01:00, when the hour would have ended: at once, since 00:01, the minute's first boundary, has passed.
        Assert.Equal(Midnight.AddMinutes(10), minutely.WindowStart);
        var cut = await store.GetSegmentAsync(hourly.ToString());
        Assert.Equal(SegmentStatus.Sealed, cut.Status);
        Assert.Equal(new TimeRange(Midnight, Midnight.AddMinutes(10).AddSeconds(20)), cut.TimeRange);
        Assert.Equal(new TimeRange(Midnight.AddMinutes(10), Midnight.AddMinutes(11)), (await store.GetSegmentAsync(minutely.ToString())).TimeRange);
    }

    [Fact]
    public async Task after_a_change_of_duration_windows_come_back_to_the_new_durations_utc_boundaries()
    {
        var clock = new ManualClock(Midnight.AddSeconds(5));
        await using var store = await StoreOnClockAsync(clock, "10s");
        Assert.Equal(Midnight, (await AppendAsync(store)).WindowStart);

        await store.UpdateSettingsAsync(new System.Text.Json.Nodes.JsonObject { ["segment.duration"] = "1m" });
        clock.Advance(TimeSpan.FromSeconds(7)); // 00:00:12: the 10 s window has ended
        var bridging = await AppendAsync(store);
        clock.Advance(TimeSpan.FromMinutes(1)); // 00:01:12
        var aligned = await AppendAsync(store);

        // The window after the 10 s one starts where it ended and runs to the next whole minute, not for a minute.
        Assert.Equal(new TimeRange(Midnight.AddSeconds(10), Midnight.AddMinutes(1)), (await store.GetSegmentAsync(bridging.ToString())).TimeRange);
        Assert.Equal(new TimeRange(Midnight.AddMinutes(1), Midnight.AddMinutes(2)), (await store.GetSegmentAsync(aligned.ToString())).TimeRange);
    }

    [Fact]
    public async Task a_shorter_duration_set_by_another_writer_ends_an_idle_window_at_the_background_round()
    {
        var clock = new ManualClock(Midnight);
        var prefix = TestKeys.UniquePrefix();
        await using var idle = await StoreOnClockAsync(clock, "1h", prefix);
        await using var other = await StoreOnClockAsync(clock, "1h", prefix);
        var hourly = await AppendAsync(idle);
        clock.Advance(TimeSpan.FromMinutes(10));

        await other.UpdateSettingsAsync(new System.Text.Json.Nodes.JsonObject { ["segment.duration"] = "1m" });

        // The idle writer appends nothing more; its background round alone must see the change (within its settings' age).
        await Poll.UntilAsync(async () =>
        {
            await idle.KeepWindowCurrentAsync();
            return (await other.GetSegmentAsync(hourly.ToString())).Status == SegmentStatus.Sealed;
        }, TimeSpan.FromSeconds(30), "the idle writer's background round sealed the hour cut short by the new duration");
    }
}
