namespace Fossil.Kv.Tests.Appends;

/// <summary>
/// Found by the chaos run (docs/reliability.md): a writer that appended with an exact version before it
/// had ever read the stream cached a tip without the stream's head, and its next append in a new window
/// went into the new segment without adding that segment to the head — the stream forked, later events
/// vanished from stream reads, and materializing the segment crashed every node.
/// </summary>
[Collection(EtcdCollection.Name)]
public sealed class StreamHeadTests(EtcdFixture etcd)
{
    [Fact]
    public async Task a_writer_whose_first_append_was_exact_still_records_the_next_window_in_the_stream_head()
    {
        var clock = new ManualClock(new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var prefix = TestKeys.UniquePrefix();
        void Configure(FossilOptions o)
        {
            o.RootPrefix = prefix;
            o.TimeProvider = clock;
            o.Segment.Duration = "1h";
            o.Segment.Partitions = 1;
        }
        await using var first = await StoreFactory.CreateAsync(etcd.Endpoints, Configure);
        await using var second = await StoreFactory.CreateAsync(etcd.Endpoints, Configure);

        await first.AppendToStreamAsync("s", StreamState.NoStream, StoreFactory.Events(1));
        // The second writer has never read "s": an exact expectation needs no read before the Txn.
        await second.AppendToStreamAsync("s", StreamState.StreamRevision(0), StoreFactory.Events(1));
        clock.Advance(TimeSpan.FromHours(1));
        var next = await second.AppendToStreamAsync("s", StreamState.Any, StoreFactory.Events(1));

        var events = await StoreFactory.ReadAllOfStreamAsync(first, "s");
        Assert.Equal([0L, 1L, 2L], events.Select(e => e.Version));
        Assert.Equal(next.Segment, events[^1].Segment);
        Assert.Equal(2, (await first.GetStreamAsync("s")).Segments.Count);
        Assert.Equal(3, (await first.AppendToStreamAsync("s", StreamState.StreamRevision(2), StoreFactory.Events(1))).FirstVersion);
    }

    [Theory]
    [InlineData(40, 1, 40, 1)]        // within the first page
    [InlineData(64, 1, 64, 1)]        // exactly a page: the probes find nothing more
    [InlineData(2345, 1, 2345, 1)]    // past a page, one event per append: the first probe aims at the last entry
    [InlineData(2345, 1, 1200, 7)]    // dense, then appends of 7 events: probes aimed by the dense part fall short
    [InlineData(1500, 5, 1500, 5)]    // appends of 5 events: versions spaced by 5
    [InlineData(200, 1, 100, 100)]    // a dense page, then appends of 100 events: aimed probes fall far short, then gallop
    [InlineData(1100, 100, 100, 1)]   // appends of 100 events, then dense: aimed probes overshoot, then bisect
    public async Task a_store_with_nothing_cached_finds_the_last_entry_of_a_long_stream(int appends, int firstEvents, int switchAt, int laterEvents)
    {
        var stream = $"long-{appends}-{firstEvents}-{switchAt}-{laterEvents}";
        await using var writer = await StoreFactory.CreateAsync(etcd.Endpoints, o => o.Segment.Partitions = 1, test: stream);
        var last = await Task.WhenAll(Enumerable.Range(0, 16).Select(async w =>
        {
            AppendResult? result = null;
            for (var i = w; i < appends; i += 16)
                result = await writer.AppendToStreamAsync(stream, StreamState.Any, StoreFactory.Events(i < switchAt ? firstEvents : laterEvents));
            return result!;
        }));
        var lastVersion = last.Max(r => r.LastVersion);
        var events = (long)switchAt * firstEvents + (long)(appends - switchAt) * laterEvents;
        Assert.Equal(events - 1, lastVersion);

        await using var fresh = await EventStore.ConnectAsync(new FossilOptions { RootPrefix = writer.Context.Options.RootPrefix, Etcd = writer.Context.Options.Etcd });

        Assert.Equal(lastVersion, (await fresh.GetStreamAsync(stream)).Version);
        var wrong = await Assert.ThrowsAsync<WrongExpectedVersionException>(() => fresh.AppendToStreamAsync(stream, StreamState.StreamRevision(lastVersion - 1), StoreFactory.Events(1)));
        Assert.Equal(lastVersion, wrong.ActualVersion);
        Assert.Equal(lastVersion + 1, (await fresh.AppendToStreamAsync(stream, StreamState.StreamRevision(lastVersion), StoreFactory.Events(1))).FirstVersion);
        // The writer's cached tip lags now: its read searches from there and finds the newer entry.
        Assert.Equal(lastVersion + 1, (await writer.GetStreamAsync(stream)).Version);
        // The global log reads in pages of 1000 at one revision: every event once, in order, across the pages.
        var log = await fresh.ReadAllAsync(Position.Start).ToListAsync();
        Assert.Equal(Enumerable.Range(0, (int)events + 1).Select(v => (long)v), log.Select(e => e.Version));
        Assert.True(log.Zip(log.Skip(1)).All(p => p.First.Position < p.Second.Position));
    }
}
