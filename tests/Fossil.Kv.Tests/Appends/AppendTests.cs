using System.Text;

namespace Fossil.Kv.Tests.Appends;

[Collection(EtcdCollection.Name)]
public sealed class AppendTests(EtcdFixture etcd)
{
    [Fact]
    public async Task append_to_a_new_stream_starts_at_version_zero_and_reads_back()
    {
        await using var store = await StoreFactory.CreateAsync(etcd.Endpoints);

        var result = await store.AppendToStreamAsync("orders-1", StreamState.NoStream, StoreFactory.Events(3));
        var events = await StoreFactory.ReadAllOfStreamAsync(store, "orders-1");

        Assert.Equal((0L, 2L, false), (result.FirstVersion, result.LastVersion, result.IsRepeat));
        Assert.Equal([0L, 1L, 2L], events.Select(e => e.Version));
        Assert.Equal(["{\"n\":0}", "{\"n\":1}", "{\"n\":2}"], events.Select(e => Encoding.UTF8.GetString(e.Data.Span)));
        Assert.Equal(result.Position, events[^1].Position);
        Assert.All(events, e => Assert.Equal(result.Segment, e.Segment));
    }

    [Fact]
    public async Task each_expected_state_is_checked()
    {
        await using var store = await StoreFactory.CreateAsync(etcd.Endpoints);

        await Assert.ThrowsAsync<WrongExpectedVersionException>(() => store.AppendToStreamAsync("s", StreamState.StreamExists, StoreFactory.Events(1)));
        await Assert.ThrowsAsync<WrongExpectedVersionException>(() => store.AppendToStreamAsync("s", StreamState.StreamRevision(0), StoreFactory.Events(1)));
        await store.AppendToStreamAsync("s", StreamState.NoStream, StoreFactory.Events(1));
        var noStream = await Assert.ThrowsAsync<WrongExpectedVersionException>(() => store.AppendToStreamAsync("s", StreamState.NoStream, StoreFactory.Events(1)));
        await store.AppendToStreamAsync("s", StreamState.StreamExists, StoreFactory.Events(1));
        await store.AppendToStreamAsync("s", StreamState.StreamRevision(1), StoreFactory.Events(2));
        var stale = await Assert.ThrowsAsync<WrongExpectedVersionException>(() => store.AppendToStreamAsync("s", StreamState.StreamRevision(1), StoreFactory.Events(1)));
        var ahead = await Assert.ThrowsAsync<WrongExpectedVersionException>(() => store.AppendToStreamAsync("s", StreamState.StreamRevision(9), StoreFactory.Events(1)));
        var any = await store.AppendToStreamAsync("s", StreamState.Any, StoreFactory.Events(1));

        Assert.Equal(0, noStream.ActualVersion);
        Assert.Equal(3, stale.ActualVersion);
        Assert.Equal(3, ahead.ActualVersion);
        Assert.Contains("expected 9", ahead.Message, StringComparison.Ordinal);
        Assert.Equal(4, any.LastVersion);
        Assert.Equal(5, (await StoreFactory.ReadAllOfStreamAsync(store, "s")).Count);
    }

    [Fact]
    public async Task a_stale_writer_on_another_store_instance_is_refused()
    {
        await using var first = await StoreFactory.CreateAsync(etcd.Endpoints);
        var prefix = first.Context.Options.RootPrefix;
        await using var second = await StoreFactory.CreateAsync(etcd.Endpoints, o => o.RootPrefix = prefix);

        await first.AppendToStreamAsync("shared", StreamState.Any, StoreFactory.Events(1));
        await second.AppendToStreamAsync("shared", StreamState.Any, StoreFactory.Events(1));
        // first's cached tip says version 0; etcd says 1.
        var refused = await Assert.ThrowsAsync<WrongExpectedVersionException>(() => first.AppendToStreamAsync("shared", StreamState.StreamRevision(0), StoreFactory.Events(1)));
        var any = await first.AppendToStreamAsync("shared", StreamState.Any, StoreFactory.Events(1));

        Assert.Equal(1, refused.ActualVersion);
        Assert.Equal(2, any.LastVersion);
    }

    [Fact]
    public async Task resending_the_same_events_is_an_idempotent_repeat()
    {
        await using var store = await StoreFactory.CreateAsync(etcd.Endpoints);
        var events = StoreFactory.Events(2);

        var original = await store.AppendToStreamAsync("idem", StreamState.NoStream, events);
        var repeatNoStream = await store.AppendToStreamAsync("idem", StreamState.NoStream, events);
        var repeatAny = await store.AppendToStreamAsync("idem", StreamState.Any, events);
        await store.AppendToStreamAsync("idem", StreamState.Any, StoreFactory.Events(1));
        var repeatExact = await store.AppendToStreamAsync("idem", StreamState.NoStream, events);

        Assert.False(original.IsRepeat);
        foreach (var repeat in new[] { repeatNoStream, repeatAny, repeatExact })
        {
            Assert.True(repeat.IsRepeat);
            Assert.Equal((original.FirstVersion, original.LastVersion, original.Position), (repeat.FirstVersion, repeat.LastVersion, repeat.Position));
        }
        Assert.Equal(3, (await StoreFactory.ReadAllOfStreamAsync(store, "idem")).Count);
    }

    [Fact]
    public async Task same_id_with_different_content_is_an_error()
    {
        await using var store = await StoreFactory.CreateAsync(etcd.Endpoints);
        var id = Guid.NewGuid();

        await store.AppendToStreamAsync("dup", StreamState.NoStream, [StoreFactory.Json("a", "{\"v\":1}", id)]);
        var error = await Assert.ThrowsAsync<DuplicateEventIdException>(() =>
            store.AppendToStreamAsync("dup", StreamState.NoStream, [StoreFactory.Json("a", "{\"v\":2}", id)]));

        Assert.Equal(id, error.EventId);
        Assert.Single(await StoreFactory.ReadAllOfStreamAsync(store, "dup"));
    }

    [Fact]
    public async Task streams_a_and_a_slash_b_never_see_each_others_events()
    {
        await using var store = await StoreFactory.CreateAsync(etcd.Endpoints);

        await store.AppendToStreamAsync("a", StreamState.NoStream, StoreFactory.Events(2, "in-a"));
        await store.AppendToStreamAsync("a/b", StreamState.NoStream, StoreFactory.Events(3, "in-a-b"));
        await store.AppendToStreamAsync("a%2Fb", StreamState.NoStream, StoreFactory.Events(1, "escaped-lookalike"));

        Assert.Equal(["in-a", "in-a"], (await StoreFactory.ReadAllOfStreamAsync(store, "a")).Select(e => e.Type));
        Assert.Equal(3, (await StoreFactory.ReadAllOfStreamAsync(store, "a/b")).Count(e => e.Type == "in-a-b"));
        Assert.Single(await StoreFactory.ReadAllOfStreamAsync(store, "a%2Fb"));
    }

    [Fact]
    public async Task concurrent_appends_share_transactions_and_keep_versions_contiguous()
    {
        await using var store = await StoreFactory.CreateAsync(etcd.Endpoints);

        var results = await Task.WhenAll(Enumerable.Range(0, 200).Select(i =>
            store.AppendToStreamAsync($"stream-{i % 5}", StreamState.Any, StoreFactory.Events(1 + i % 3))));
        var positions = results.Select(r => r.Position).ToArray();

        Assert.Equal(positions.Length, positions.Distinct().Count());
        // Fewer revisions than appends: group commit put several appends in one transaction.
        var revisions = positions.Select(p => p.Revision).Distinct().Count();
        Assert.True(revisions < results.Length, $"{revisions} revisions for {results.Length} appends");
        for (var s = 0; s < 5; s++)
        {
            var events = await StoreFactory.ReadAllOfStreamAsync(store, $"stream-{s}");
            Assert.Equal(Enumerable.Range(0, events.Count).Select(v => (long)v), events.Select(e => e.Version));
            Assert.Equal(results.Where(r => r.Stream == $"stream-{s}").Sum(r => r.LastVersion - r.FirstVersion + 1), events.Count);
        }
    }

    [Fact]
    public async Task appends_after_a_batch_whose_callers_went_away_are_still_sent()
    {
        await using var store = await StoreFactory.CreateAsync(etcd.Endpoints, o => o.Segment.Partitions = 1);
        await store.AppendToStreamAsync("warm", StreamState.Any, StoreFactory.Events(1));

        // A Txn that answers 8 appenders makes the committer wait for them to come back; here only one does, each time.
        var batch = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => store.AppendToStreamAsync($"left-{i}", StreamState.Any, StoreFactory.Events(1))));
        var lone = new List<AppendResult>();
        for (var i = 0; i < 5; i++)
            lone.Add(await store.AppendToStreamAsync("stayed", StreamState.Any, StoreFactory.Events(1)).WaitAsync(TimeSpan.FromSeconds(20)));

        Assert.Equal([0L, 1L, 2L, 3L, 4L], lone.Select(r => r.LastVersion));
        Assert.True(lone[0].Position.CompareTo(batch.Max(r => r.Position)) > 0);
    }

    [Fact]
    public async Task a_multi_stream_append_is_all_or_nothing()
    {
        await using var store = await StoreFactory.CreateAsync(etcd.Endpoints, o => o.Segment.Partitions = 8);
        await store.AppendToStreamAsync("m-1", StreamState.NoStream, StoreFactory.Events(1));

        var conflict = await Assert.ThrowsAsync<WrongExpectedVersionException>(() => store.AppendAsync(
        [
            new StreamAppend("m-0", StreamState.NoStream, StoreFactory.Events(1)),
            new StreamAppend("m-1", StreamState.NoStream, StoreFactory.Events(1)),
            new StreamAppend("m-2", StreamState.Any, StoreFactory.Events(1)),
        ]));
        var ok = await store.AppendAsync(
        [
            new StreamAppend("m-0", StreamState.NoStream, StoreFactory.Events(2)),
            new StreamAppend("m-1", StreamState.StreamRevision(0), StoreFactory.Events(1)),
            new StreamAppend("m-2", StreamState.Any, StoreFactory.Events(1)),
        ]);

        Assert.Equal("m-1", conflict.Stream);
        Assert.Equal([1L, 1L, 0L], ok.Select(r => r.LastVersion));
        Assert.Single(ok.Select(r => r.Position.Revision).Distinct());
        Assert.True(ok.Select(r => r.Segment).Distinct().Count() > 1, "the streams should span several segments");
        Assert.Equal(2, (await StoreFactory.ReadAllOfStreamAsync(store, "m-0")).Count);
    }

    [Fact]
    public async Task invalid_input_is_rejected_and_nothing_is_written()
    {
        await using var store = await StoreFactory.CreateAsync(etcd.Endpoints);

        await Assert.ThrowsAsync<InvalidStreamNameException>(() => store.AppendToStreamAsync("bad\nname", StreamState.Any, StoreFactory.Events(1)));
        await Assert.ThrowsAsync<InvalidRequestException>(() => store.AppendToStreamAsync("s", StreamState.Any, []));
        await Assert.ThrowsAsync<AppendTooLargeException>(() => store.AppendToStreamAsync("s", StreamState.Any, StoreFactory.Events(1001)));
        await Assert.ThrowsAsync<AppendTooLargeException>(() => store.AppendToStreamAsync("s", StreamState.Any, [new EventData(null, "big", new byte[1_600_000], contentType: EventData.BinaryContentType)]));
        await Assert.ThrowsAsync<InvalidRequestException>(() => store.AppendToStreamAsync("s", StreamState.Any, [new EventData(null, "t", "{}"u8.ToArray(), "[1]"u8.ToArray())]));
        await Assert.ThrowsAsync<InvalidRequestException>(() => store.AppendToStreamAsync("s", StreamState.Any, [new EventData(null, "t", "{}"u8.ToArray()) { Vector = [1f, float.NaN] }]));

        await Assert.ThrowsAsync<StreamNotFoundException>(() => store.GetStreamAsync("s"));
    }
}
