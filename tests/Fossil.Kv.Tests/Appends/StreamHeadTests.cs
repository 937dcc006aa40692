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
}
