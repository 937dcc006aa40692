using Fossil.Kv.Etcd;

namespace Fossil.Kv.Tests.Hosting;

/// <summary>
/// The store's lifetime as a host sees it: disposed by a container (maybe after the application disposed it too), while
/// subscriptions are still reading, over an etcd client that outlives it.
/// </summary>
[Collection(EtcdCollection.Name)]
public sealed class StoreLifetimeTests(EtcdFixture etcd)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);

    private FossilOptions Options([System.Runtime.CompilerServices.CallerMemberName] string test = "") => new()
    {
        RootPrefix = TestKeys.UniquePrefix(test),
        Etcd = new EtcdClientOptions { Endpoints = [.. etcd.Endpoints.Select(e => e.AbsoluteUri.TrimEnd('/'))] },
    };

    [Fact]
    public async Task disposing_a_store_again_does_nothing()
    {
        var store = await StoreFactory.CreateAsync(etcd.Endpoints);
        await store.AppendToStreamAsync("twice", StreamState.Any, StoreFactory.Events(1));

        await store.DisposeAsync();

        // An application that disposes the store a container also disposes must not crash the host's shutdown.
        await store.DisposeAsync();
        store.Dispose();
    }

    [Fact]
    public async Task a_disposed_store_refuses_every_operation_even_when_its_etcd_client_lives_on()
    {
        var options = Options();
        await using var client = new EtcdClient(options.Etcd);
        var store = new EventStore(client, options);
        await store.AppendToStreamAsync("after-dispose", StreamState.Any, StoreFactory.Events(1));

        await store.DisposeAsync();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => store.AppendToStreamAsync("after-dispose", StreamState.Any, StoreFactory.Events(1)));
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await store.ReadStreamAsync("after-dispose").ToListAsync());
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await store.ReadAllAsync(Position.Start).ToListAsync());
        await Assert.ThrowsAsync<ObjectDisposedException>(() => store.GetStreamAsync("after-dispose"));
        await Assert.ThrowsAsync<ObjectDisposedException>(async () =>
        {
            await foreach (var _ in store.SubscribeToAllAsync()) { }
        });
    }

    [Fact]
    public async Task live_subscriptions_end_with_ObjectDisposedException_when_the_store_is_disposed()
    {
        var options = Options();
        await using var client = new EtcdClient(options.Etcd);
        var store = new EventStore(client, options);
        await store.AppendToStreamAsync("disposed-live", StreamState.Any, StoreFactory.Events(1));
        var seen = 0;
        var all = Task.Run(async () =>
        {
            await foreach (var _ in store.SubscribeToAllAsync()) Interlocked.Increment(ref seen);
        });
        var stream = Task.Run(async () =>
        {
            await foreach (var _ in store.SubscribeToStreamAsync("disposed-live")) Interlocked.Increment(ref seen);
        });
        await Poll.UntilAsync(() => Volatile.Read(ref seen) >= 2, Deadline, "both subscribers have the event");
        // An event appended after both caught up reaches them live: waiting for it, not for a while, puts both on the watch.
        await store.AppendToStreamAsync("disposed-live", StreamState.Any, StoreFactory.Events(1));
        await Poll.UntilAsync(() => Volatile.Read(ref seen) >= 4, Deadline, "both subscribers have the later event");

        await store.DisposeAsync();

        // Neither ends nor hangs silently: each says the store is gone (not a cancellation the caller never asked for).
        await Assert.ThrowsAsync<ObjectDisposedException>(() => all.WaitAsync(Deadline));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => stream.WaitAsync(Deadline));
    }
}
