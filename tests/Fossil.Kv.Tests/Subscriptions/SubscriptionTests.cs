namespace Fossil.Kv.Tests.Subscriptions;

[Collection(EtcdCollection.Name)]
public sealed class SubscriptionTests(EtcdFixture etcd)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task subscription_to_all_catches_up_then_goes_live_without_gap_or_duplicate()
    {
        await using var store = await StoreFactory.CreateAsync(etcd.Endpoints);
        for (var i = 0; i < 20; i++) await store.AppendToStreamAsync($"sub-{i % 3}", StreamState.Any, StoreFactory.Events(2));
        using var cancel = new CancellationTokenSource(Deadline);
        var received = new List<RecordedEvent>();
        var consumer = Task.Run(async () =>
        {
            await foreach (var e in store.SubscribeToAllAsync(cancellationToken: cancel.Token))
            {
                lock (received) received.Add(e);
            }
        });

        // Live appends race the catch-up on purpose.
        var writes = Enumerable.Range(0, 30).Select(i => store.AppendToStreamAsync($"sub-{i % 3}", StreamState.Any, StoreFactory.Events(1)));
        await Task.WhenAll(writes);
        await Poll.UntilAsync(() => { lock (received) return received.Count >= 70; }, Deadline, "the subscriber has all 70 events");
        var log = await store.ReadAllAsync(Position.Start).ToListAsync();
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => consumer);

        lock (received) Assert.Equal(log.Select(e => e.Id), received.Select(e => e.Id));
    }

    [Fact]
    public async Task subscription_to_a_stream_starts_after_a_version_and_sees_only_that_stream()
    {
        await using var store = await StoreFactory.CreateAsync(etcd.Endpoints);
        await store.AppendToStreamAsync("watched", StreamState.Any, StoreFactory.Events(5));
        using var cancel = new CancellationTokenSource(Deadline);
        var versions = new List<long>();
        var consumer = Task.Run(async () =>
        {
            await foreach (var e in store.SubscribeToStreamAsync("watched", afterVersion: 2, cancel.Token))
            {
                Assert.Equal("watched", e.Stream);
                lock (versions) versions.Add(e.Version);
            }
        });

        await store.AppendToStreamAsync("other", StreamState.Any, StoreFactory.Events(3));
        await store.AppendToStreamAsync("watched", StreamState.Any, StoreFactory.Events(2));
        await Poll.UntilAsync(() => { lock (versions) return versions.Count >= 4; }, Deadline, "the stream subscriber has versions 3..6");
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => consumer);

        lock (versions) Assert.Equal([3L, 4, 5, 6], versions);
    }

    [Fact]
    public async Task a_subscription_from_the_start_catches_up_from_storage_after_etcd_compacted_its_history()
    {
        await using var store = await StoreFactory.CreateAsync(etcd.Endpoints);
        await store.AppendToStreamAsync("compacted", StreamState.Any, StoreFactory.Events(10));
        var revision = (await store.Etcd.GetAsync(Google.Protobuf.ByteString.CopyFromUtf8("/"))).Header.Revision;
        await store.Etcd.CompactAsync(new Etcdserverpb.CompactionRequest { Revision = revision, Physical = true });
        using var cancel = new CancellationTokenSource(Deadline);
        var received = new List<RecordedEvent>();
        var consumer = Task.Run(async () =>
        {
            await foreach (var e in store.SubscribeToAllAsync(cancellationToken: cancel.Token))
                lock (received) received.Add(e);
        });

        await store.AppendToStreamAsync("compacted", StreamState.Any, StoreFactory.Events(5));
        await Poll.UntilAsync(() => { lock (received) return received.Count >= 15; }, Deadline, "the subscriber has history and live events");
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => consumer);

        lock (received) Assert.Equal(Enumerable.Range(0, 15).Select(v => (long)v), received.Select(e => e.Version));
    }

    [Fact]
    public async Task a_consumer_too_slow_for_its_watch_falls_back_to_storage_and_misses_nothing()
    {
        var logger = new SignalingLogger<EventStore>(eventId: 1200);
        await using var store = await EventStore.ConnectAsync(new FossilOptions
        {
            RootPrefix = TestKeys.UniquePrefix(),
            Etcd = new Etcd.EtcdClientOptions { Endpoints = [.. etcd.Endpoints.Select(e => e.AbsoluteUri.TrimEnd('/'))], MaxWatchBufferBytes = 8 * 1024 },
        }, logger);
        using var cancel = new CancellationTokenSource(Deadline);
        var first = await store.AppendToStreamAsync("slow-0", StreamState.Any, StoreFactory.Events(1));
        await using var subscription = store.SubscribeToAllAsync(cancellationToken: cancel.Token).GetAsyncEnumerator(cancel.Token);
        Assert.True(await subscription.MoveNextAsync()); // history
        var live = subscription.MoveNextAsync();           // catches up, then waits on the watch
        await store.AppendToStreamAsync("slow-1", StreamState.Any, StoreFactory.Events(1));
        Assert.True(await live);

        // The consumer reads nothing while far more than its watch may hold is written.
        for (var i = 0; i < 100; i++) await store.AppendToStreamAsync($"slow-{i % 7}", StreamState.Any, StoreFactory.Events(3));
        var received = new List<RecordedEvent>();
        while (received.Count < 300 && await subscription.MoveNextAsync()) received.Add(subscription.Current);

        await logger.Seen.WaitAsync(cancel.Token); // the watch overflowed and the subscription read storage instead
        var log = await store.ReadAllAsync(first.Position).ToListAsync();
        Assert.Equal(log.Skip(2).Select(e => e.Id), received.Select(e => e.Id));
    }
}
