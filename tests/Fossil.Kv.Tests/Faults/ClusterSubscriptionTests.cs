using Fossil.Kv.Etcd;

namespace Fossil.Kv.Tests.Faults;

[Collection(EtcdClusterCollection.Name)]
public sealed class ClusterSubscriptionTests(EtcdClusterFixture cluster) : IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => cluster.HealAsync();

    [Fact]
    public async Task a_subscriber_sees_every_event_once_in_order_across_rotation_and_the_loss_of_the_leader()
    {
        var options = new FossilOptions
        {
            RootPrefix = TestKeys.UniquePrefix(),
            Etcd = new EtcdClientOptions { Endpoints = [.. cluster.Endpoints.Select(e => e.AbsoluteUri.TrimEnd('/'))] },
        };
        options.Segment.Duration = "1s";
        options.Segment.Partitions = 2;
        await using var store = await EventStore.ConnectAsync(options);
        using var cancel = new CancellationTokenSource(Deadline);
        var received = new List<RecordedEvent>();
        var streamVersions = new List<long>();
        var all = Task.Run(async () =>
        {
            await foreach (var e in store.SubscribeToAllAsync(cancellationToken: cancel.Token))
                lock (received) received.Add(e);
        });
        var one = Task.Run(async () =>
        {
            await foreach (var e in store.SubscribeToStreamAsync("c-0", cancellationToken: cancel.Token))
                lock (streamVersions) streamVersions.Add(e.Version);
        });

        var acknowledged = 0;
        // Each phase writes for a while, so that the run crosses several one-second windows.
        async Task WriteAsync(TimeSpan phase)
        {
            var until = DateTime.UtcNow + phase;
            for (var i = 0; DateTime.UtcNow < until; i++)
            {
                for (var attempt = 0; ; attempt++)
                {
                    var events = StoreFactory.Events(1);
                    try
                    {
                        await store.AppendToStreamAsync($"c-{i % 3}", StreamState.Any, events);
                        Interlocked.Increment(ref acknowledged);
                        break;
                    }
                    catch (StoreUnavailableException) when (attempt < 50)
                    {
                        // The leader is gone: retry (a repeat with the same ids would be idempotent).
                    }
                }
            }
        }

        await WriteAsync(TimeSpan.FromSeconds(1.5));
        var leader = await cluster.Cluster.FindLeaderAsync();
        leader.Kill();
        await WriteAsync(TimeSpan.FromSeconds(1.5));
        await leader.RestartAsync();
        await WriteAsync(TimeSpan.FromSeconds(1.5));

        await Poll.UntilAsync(() => { lock (received) return received.Count >= acknowledged; }, Deadline, "the subscriber caught up with every acknowledged event");
        var log = await store.ReadAllAsync(Position.Start).ToListAsync();
        var c0 = await store.ReadStreamAsync("c-0").ToListAsync();
        await Poll.UntilAsync(() => { lock (streamVersions) return streamVersions.Count >= c0.Count; }, Deadline, "the stream subscriber caught up");
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Task.WhenAll(all, one));

        Assert.Equal(acknowledged, log.Count);
        Assert.True(log.Select(e => e.Segment).Distinct().Count() >= 3, "the run should have crossed several windows");
        lock (received) Assert.Equal(log.Select(e => e.Id), received.Select(e => e.Id));
        lock (streamVersions) Assert.Equal(c0.Select(e => e.Version), streamVersions);
    }
}
