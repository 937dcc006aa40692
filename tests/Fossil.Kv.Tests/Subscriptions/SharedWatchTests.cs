using System.Reflection;
using Fossil.Kv.Etcd;

namespace Fossil.Kv.Tests.Subscriptions;

/// <summary>
/// Live subscriptions of one store share one etcd watch. The store talks to the real etcd through a proxy
/// that only counts which client calls it makes.
/// </summary>
[Collection(EtcdCollection.Name)]
public sealed class SharedWatchTests(EtcdFixture etcd)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task many_live_subscribers_share_one_etcd_watch_and_each_gets_exactly_its_events()
    {
        await using var client = new EtcdClient(new EtcdClientOptions { Endpoints = [.. etcd.Endpoints.Select(e => e.AbsoluteUri.TrimEnd('/'))] });
        var counting = CallCounter.Wrap(client);
        await using var store = new EventStore(counting.Client, new FossilOptions { RootPrefix = TestKeys.UniquePrefix() });
        await store.AppendToStreamAsync("shared-0", StreamState.Any, StoreFactory.Events(1));
        using var cancel = new CancellationTokenSource(Deadline);
        const int Streams = 12;
        var received = Enumerable.Range(0, Streams).Select(_ => new List<RecordedEvent>()).ToArray();
        var all = new List<RecordedEvent>();
        var consumers = Enumerable.Range(0, Streams).Select(i => Task.Run(async () =>
        {
            await foreach (var e in store.SubscribeToStreamAsync($"shared-{i}", cancellationToken: cancel.Token))
                lock (received[i]) received[i].Add(e);
        })).Append(Task.Run(async () =>
        {
            await foreach (var e in store.SubscribeToAllAsync(cancellationToken: cancel.Token))
                lock (all) all.Add(e);
        })).ToArray();

        // Live appends, some racing the subscribers' catch-up; then enough rounds that every one is live.
        for (var round = 0; round < 5; round++)
            await Task.WhenAll(Enumerable.Range(0, Streams).Select(i => store.AppendToStreamAsync($"shared-{i}", StreamState.Any, StoreFactory.Events(1))));
        var log = await store.ReadAllAsync(Position.Start).ToListAsync();
        await Poll.UntilAsync(() => { lock (all) return all.Count >= log.Count; }, Deadline, "the subscriber to all has every event");
        await Poll.UntilAsync(() => received.All(r => { lock (r) return r.Count >= (r == received[0] ? 6 : 5); }), Deadline, "every stream subscriber has its events");
        await cancel.CancelAsync();
        await Task.WhenAll(consumers.Select(c => c.ContinueWith(_ => { }, TaskScheduler.Default)));

        lock (all) Assert.Equal(log.Select(e => e.Id), all.Select(e => e.Id));
        for (var i = 0; i < Streams; i++)
        {
            lock (received[i])
                Assert.Equal(log.Where(e => e.Stream == $"shared-{i}").Select(e => e.Id), received[i].Select(e => e.Id));
        }
        // One shared watch, plus one of a subscriber's own for any that joined behind what the shared one keeps
        // (none here) or after it stopped: far fewer than the 13 subscribers.
        Assert.InRange(counting.Calls(nameof(IEtcdClient.WatchAsync)), 1, 3);
    }

    /// <summary>Forwards every <see cref="IEtcdClient"/> call to the real client and counts them by name.</summary>
    public class CallCounter : DispatchProxy
    {
        private readonly System.Collections.Concurrent.ConcurrentDictionary<string, int> _calls = new();
        private IEtcdClient _inner = null!;

        public static CallCounter Wrap(IEtcdClient inner)
        {
            var proxy = Create<IEtcdClient, CallCounter>();
            var counter = (CallCounter)(object)proxy;
            counter._inner = inner;
            return counter;
        }

        public IEtcdClient Client => (IEtcdClient)(object)this;

        public int Calls(string method) => _calls.GetValueOrDefault(method);

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
        {
            ArgumentNullException.ThrowIfNull(targetMethod);
            _calls.AddOrUpdate(targetMethod.Name, 1, (_, n) => n + 1);
            try
            {
                return targetMethod.Invoke(_inner, args);
            }
            catch (TargetInvocationException e) when (e.InnerException is not null)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerException).Throw();
                throw;
            }
        }
    }
}
