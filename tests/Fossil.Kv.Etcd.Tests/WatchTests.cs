using Etcdserverpb;
using Google.Protobuf;
using Mvccpb;
using static Fossil.Kv.Etcd.Tests.TestClients;

namespace Fossil.Kv.Etcd.Tests;

[Collection(EtcdCollection.Name)]
public sealed class WatchTests(EtcdFixture etcd) : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);
    private readonly string _prefix = TestKeys.UniquePrefix();
    private EtcdClient _client = null!;

    public Task InitializeAsync()
    {
        _client = Create(etcd.Endpoints);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _client.DisposeAsync();

    private ByteString K(string name) => B($"{_prefix}/{name}");

    private WatchCreateRequest PrefixWatch(string name, long startRevision = 0, bool prevKv = false) =>
        new() { Key = K(name), RangeEnd = EtcdKeys.PrefixEnd(K(name)), StartRevision = startRevision, PrevKv = prevKv };

    /// <summary>Collects events until <paramref name="count"/> arrived; the first response (created) is awaited before <paramref name="afterCreated"/>.</summary>
    private static async Task<List<Event>> CollectAsync(IAsyncEnumerable<WatchResponse> watch, int count, Func<Task>? afterCreated = null)
    {
        using var cts = new CancellationTokenSource(Timeout);
        var events = new List<Event>();
        await foreach (var response in watch.WithCancellation(cts.Token))
        {
            if (response.Created)
            {
                if (afterCreated is not null) await afterCreated();
                continue;
            }

            events.AddRange(response.Events);
            if (events.Count >= count) break;
        }

        return events;
    }

    [Fact]
    public async Task watch_delivers_puts_and_deletes_in_order_with_prev_kv()
    {
        var events = await CollectAsync(_client.WatchAsync(PrefixWatch("w/", prevKv: true)), 3, async () =>
        {
            await _client.PutAsync(K("w/a"), B("1"));
            await _client.PutAsync(K("w/a"), B("2"));
            await _client.DeleteRangeAsync(new DeleteRangeRequest { Key = K("w/a") });
        });

        Assert.Equal([Event.Types.EventType.Put, Event.Types.EventType.Put, Event.Types.EventType.Delete], events.Select(e => e.Type));
        Assert.Equal("1", events[1].PrevKv.Value.ToStringUtf8());
        Assert.Equal("2", events[2].PrevKv.Value.ToStringUtf8());
        Assert.True(events[0].Kv.ModRevision < events[1].Kv.ModRevision && events[1].Kv.ModRevision < events[2].Kv.ModRevision);
    }

    [Fact]
    public async Task watch_from_start_revision_replays_history()
    {
        var first = await _client.PutAsync(K("h/1"), B("1"));
        await _client.PutAsync(K("h/2"), B("2"));
        await _client.PutAsync(K("h/3"), B("3"));

        var events = await CollectAsync(_client.WatchAsync(PrefixWatch("h/", first.Header.Revision)), 3);

        Assert.Equal(["1", "2", "3"], events.Select(e => e.Kv.Value.ToStringUtf8()));
    }

    [Fact]
    public async Task many_watches_share_one_stream_and_each_sees_only_its_keys()
    {
        var start = (await _client.PutAsync(K("m/start"), B("x"))).Header.Revision;
        for (var i = 0; i < 20; i++) await _client.PutAsync(K($"m/{i:D2}/k"), B(i.ToString(System.Globalization.CultureInfo.InvariantCulture)));

        var watches = Enumerable.Range(0, 20).Select(i => CollectAsync(_client.WatchAsync(PrefixWatch($"m/{i:D2}/", start)), 1)).ToArray();
        var results = await Task.WhenAll(watches);

        for (var i = 0; i < 20; i++)
            Assert.Equal($"{_prefix}/m/{i:D2}/k", Assert.Single(results[i]).Kv.Key.ToStringUtf8());
    }

    [Fact]
    public async Task watch_of_a_large_revision_reassembles_fragments()
    {
        // 100 keys of 10 KiB rewritten in one Txn with prev_kv: ~2 MiB in one revision, over etcd's
        // 1.5 MiB response size, so etcd splits it into fragments.
        var value = new string('a', 10 * 1024);
        var setup = new TxnRequest();
        for (var i = 0; i < 100; i++) setup.Success.Add(new RequestOp { RequestPut = new PutRequest { Key = K($"f/{i:D3}"), Value = B(value) } });
        await _client.TxnAsync(setup);

        var rewrite = new TxnRequest();
        for (var i = 0; i < 100; i++) rewrite.Success.Add(new RequestOp { RequestPut = new PutRequest { Key = K($"f/{i:D3}"), Value = B(value.Replace('a', 'b')) } });
        var watch = PrefixWatch("f/", prevKv: true);
        watch.Fragment = true;

        using var cts = new CancellationTokenSource(Timeout);
        WatchResponse? whole = null;
        await foreach (var response in _client.WatchAsync(watch, cts.Token))
        {
            if (response.Created)
            {
                await _client.TxnAsync(rewrite);
                continue;
            }

            whole = response;
            break;
        }

        Assert.NotNull(whole);
        Assert.False(whole.Fragment);
        Assert.Equal(100, whole.Events.Count);
        Assert.Single(whole.Events.Select(e => e.Kv.ModRevision).Distinct());
    }

    [Fact]
    public async Task canceling_one_watch_leaves_the_others_running()
    {
        using (var cts = new CancellationTokenSource())
        {
            await foreach (var response in _client.WatchAsync(PrefixWatch("c1/"), cts.Token))
            {
                Assert.True(response.Created);
                break; // disposes the enumerator: the watch is canceled
            }
        }

        var events = await CollectAsync(_client.WatchAsync(PrefixWatch("c2/")), 1, () => _client.PutAsync(K("c2/k"), B("v")));
        Assert.Single(events);
    }

    [Fact]
    public async Task progress_request_reaches_the_watch()
    {
        using var cts = new CancellationTokenSource(Timeout);
        var sawProgress = false;
        await foreach (var response in _client.WatchAsync(PrefixWatch("p/"), cts.Token))
        {
            if (response.Created)
            {
                await _client.RequestWatchProgressAsync(cts.Token);
                continue;
            }

            sawProgress = response.Events.Count == 0 && response.Header.Revision > 0;
            break;
        }

        Assert.True(sawProgress);
    }

    [Fact]
    public async Task a_reader_that_falls_behind_ends_its_own_watch_without_stalling_the_others_and_resumes_without_a_gap()
    {
        const int puts = 300;
        await using var client = Create(etcd.Endpoints, o => o.MaxWatchBufferBytes = 16 * 1024);
        using var cts = new CancellationTokenSource(Timeout);
        var slow = client.WatchAsync(PrefixWatch("slow/"), cts.Token).GetAsyncEnumerator(cts.Token);
        Assert.True(await slow.MoveNextAsync());
        Assert.True(slow.Current.Created);
        var value = B(new string('v', 200));

        // The fast reader reads while the writes go on; the slow one reads nothing until they are done.
        Task writing = Task.CompletedTask;
        var fast = await CollectAsync(client.WatchAsync(PrefixWatch("slow/")), puts, () =>
        {
            writing = Task.Run(async () =>
            {
                for (var i = 0; i < puts; i++) await client.PutAsync(K($"slow/{i:D3}"), value);
            });
            return Task.CompletedTask;
        });
        await writing;

        // The slow reader gets what its watch held, then the overflow, which says where to watch again from.
        var delivered = new List<Event>();
        var overflow = await Assert.ThrowsAsync<EtcdWatchOverflowException>(async () =>
        {
            while (await slow.MoveNextAsync()) delivered.AddRange(slow.Current.Events);
        });
        await slow.DisposeAsync();
        var rest = await CollectAsync(_client.WatchAsync(PrefixWatch("slow/", overflow.NextRevision)), puts - delivered.Count);

        Assert.Equal(puts, fast.Count);
        Assert.True(delivered.Count < puts, "the slow watch held less than everything");
        Assert.Equal(fast.Select(e => e.Kv.Key.ToStringUtf8()), delivered.Concat(rest).Select(e => e.Kv.Key.ToStringUtf8()));
    }
}
