namespace Fossil.Kv.Tests.Reads;

[Collection(EtcdCollection.Name)]
public sealed class ReadTests(EtcdFixture etcd)
{
    [Fact]
    public async Task a_stream_reads_forwards_and_backwards_from_any_version()
    {
        await using var store = await StoreFactory.CreateAsync(etcd.Endpoints);
        for (var i = 0; i < 30; i++) await store.AppendToStreamAsync("paged", StreamState.Any, StoreFactory.Events(1 + i % 4));
        var total = (await store.GetStreamAsync("paged")).Version + 1;

        var all = await store.ReadStreamAsync("paged").ToListAsync();
        var fromMiddle = await store.ReadStreamAsync("paged", Direction.Forwards, 17, 5).ToListAsync();
        var backwards = await store.ReadStreamAsync("paged", Direction.Backwards, -1).ToListAsync();
        var backwardsByDefault = await store.ReadStreamAsync("paged", Direction.Backwards).ToListAsync();
        var backwardsFromMiddle = await store.ReadStreamAsync("paged", Direction.Backwards, 17, 5).ToListAsync();

        Assert.Equal(Enumerable.Range(0, (int)total).Select(v => (long)v), all.Select(e => e.Version));
        Assert.Equal([17L, 18, 19, 20, 21], fromMiddle.Select(e => e.Version));
        Assert.Equal(all.Select(e => e.Version).Reverse(), backwards.Select(e => e.Version));
        Assert.Equal(all.Select(e => e.Version).Reverse(), backwardsByDefault.Select(e => e.Version));
        Assert.Equal([17L, 16, 15, 14, 13], backwardsFromMiddle.Select(e => e.Version));
        Assert.Equal(all.Select(e => e.Position).Order(), all.Select(e => e.Position));
    }

    [Fact]
    public async Task reading_a_missing_stream_fails_with_stream_not_found()
    {
        await using var store = await StoreFactory.CreateAsync(etcd.Endpoints);

        await Assert.ThrowsAsync<StreamNotFoundException>(async () => await store.ReadStreamAsync("nope").ToListAsync());
    }

    [Fact]
    public async Task a_global_log_page_continues_after_what_it_read_even_when_its_filter_matched_nothing()
    {
        await using var store = await StoreFactory.CreateAsync(etcd.Endpoints);
        var written = await store.AppendToStreamAsync("log/common", StreamState.Any, StoreFactory.Events(5, "common"));
        var rare = new EventFilter(EventType: "rare");

        var empty = await store.ReadAllPageAsync(Position.Start, 10, rare);
        await store.AppendToStreamAsync("log/rare", StreamState.Any, StoreFactory.Events(1, "rare"));
        var found = await store.ReadAllPageAsync(empty.Next, 10, rare);
        var full = await store.ReadAllPageAsync(Position.Start, 2);

        Assert.Empty(empty.Events);
        Assert.True(empty.Next > written.Position, $"next {empty.Next} is not past {written.Position}");
        Assert.Equal("rare", Assert.Single(found.Events).Type);
        Assert.Equal(2, full.Events.Count);
        Assert.Equal(full.Events[1].Position.Successor, full.Next);
        // A page that reached the end continues from the end of the revision it read, a position no event can take:
        // a reader may then subscribe after it (exclusive) as well as read from it (inclusive) and miss nothing.
        Assert.Equal(Position.EndOfRevision(empty.Next.Revision), empty.Next);
        Assert.True(found.Events[0].Position > empty.Next);
    }

    [Fact]
    public async Task the_global_log_holds_every_event_once_in_commit_order_across_partitions()
    {
        await using var store = await StoreFactory.CreateAsync(etcd.Endpoints, o => o.Segment.Partitions = 4);
        var results = await Task.WhenAll(Enumerable.Range(0, 120).Select(i =>
            store.AppendToStreamAsync($"log-{i % 12}", StreamState.Any, StoreFactory.Events(1 + i % 2))));

        var log = await store.ReadAllAsync(Position.Start).ToListAsync();
        var fromMiddle = await store.ReadAllAsync(log[50].Position, 10).ToListAsync();

        Assert.Equal(results.Sum(r => r.LastVersion - r.FirstVersion + 1), log.Count);
        Assert.Equal(log.Count, log.Select(e => e.Id).Distinct().Count());
        for (var i = 1; i < log.Count; i++)
        {
            Assert.True(log[i - 1].Position < log[i].Position, $"positions must strictly increase at {i}");
            Assert.True(string.CompareOrdinal(log[i - 1].Position.ToString(), log[i].Position.ToString()) < 0);
        }
        Assert.True(log.Select(e => e.Segment).Distinct().Count() > 1, "events should span several partitions");
        Assert.Equal(log.Skip(50).Take(10).Select(e => e.Id), fromMiddle.Select(e => e.Id));
        // Every append's reported position is its last event's position in the log.
        Assert.All(results, r => Assert.Contains(log, e => e.Position == r.Position && e.Stream == r.Stream && e.Version == r.LastVersion));
    }

    [Fact]
    public async Task the_global_log_filters_by_stream_prefix_and_type()
    {
        await using var store = await StoreFactory.CreateAsync(etcd.Endpoints);
        await store.AppendToStreamAsync("order-1", StreamState.Any, StoreFactory.Events(2, "placed"));
        await store.AppendToStreamAsync("order-2", StreamState.Any, StoreFactory.Events(1, "shipped"));
        await store.AppendToStreamAsync("user-1", StreamState.Any, StoreFactory.Events(3, "placed"));

        var orders = await store.ReadAllAsync(Position.Start, filter: new EventFilter(StreamPrefix: "order-")).ToListAsync();
        var placed = await store.ReadAllAsync(Position.Start, filter: new EventFilter(EventType: "placed")).ToListAsync();
        var both = await store.ReadAllAsync(Position.Start, filter: new EventFilter("order-", "placed")).ToListAsync();

        Assert.Equal(3, orders.Count);
        Assert.Equal(5, placed.Count);
        Assert.Equal(2, both.Count);
    }

    [Fact]
    public async Task a_segment_reads_in_segment_order_from_a_segment_position()
    {
        await using var store = await StoreFactory.CreateAsync(etcd.Endpoints, o => o.Segment.Partitions = 1);
        await Task.WhenAll(Enumerable.Range(0, 40).Select(i => store.AppendToStreamAsync($"seg-{i % 4}", StreamState.Any, StoreFactory.Events(1 + i % 2))));
        var segment = (await store.ReadAllAsync(Position.Start, 1).ToListAsync())[0].Segment;

        var all = await store.ReadSegmentAsync(segment).ToListAsync();
        var rest = await store.ReadSegmentAsync(segment, all[25].SegmentPosition).ToListAsync();

        Assert.Equal(60, all.Count);
        Assert.True(all.Zip(all.Skip(1)).All(p => p.First.SegmentPosition < p.Second.SegmentPosition && p.First.Position < p.Second.Position));
        Assert.Equal(all.Skip(25).Select(e => e.Id), rest.Select(e => e.Id));
        await Assert.ThrowsAsync<SegmentNotFoundException>(async () => await store.ReadSegmentAsync("20000101T000000Z-p00-g000").ToListAsync());
    }
}
