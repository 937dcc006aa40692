using Etcdserverpb;
using Google.Protobuf;
using Mvccpb;
using static Fossil.Kv.Etcd.Tests.TestClients;

namespace Fossil.Kv.Etcd.Tests;

[Collection(EtcdClusterCollection.Name)]
public sealed class ClusterTests(EtcdClusterFixture cluster, Xunit.Abstractions.ITestOutputHelper output) : IAsyncLifetime
{
    private readonly string _prefix = TestKeys.UniquePrefix();

    public Task InitializeAsync() => cluster.HealAsync();

    public Task DisposeAsync() => cluster.HealAsync();

    private ByteString K(string name) => B($"{_prefix}/{name}");

    private Uri[] VictimFirst => [cluster.Members[0].ClientUrl, cluster.Members[1].ClientUrl, cluster.Members[2].ClientUrl];

    private Uri[] Survivors => [cluster.Members[1].ClientUrl, cluster.Members[2].ClientUrl];

    [Fact]
    public async Task call_fails_over_to_another_member_when_one_is_killed()
    {
        await using var client = Create(VictimFirst);
        await client.PutAsync(K("before"), B("1"));

        cluster.Members[0].Kill();

        Assert.Single((await client.GetAsync(K("before"))).Kvs);
        await client.PutAsync(K("after"), B("2"));
        Assert.Single((await client.GetAsync(K("after"))).Kvs);
        var status = await client.StatusAsync(cluster.Members[1].ClientUrl.AbsoluteUri);
        Assert.NotEqual(0UL, status.Leader);
    }

    [Fact]
    public async Task watch_delivers_every_event_in_order_across_a_killed_and_restarted_member()
    {
        const int Writes = 300;
        await using var watcher = Create(VictimFirst, o => o.Logger = new XunitLogger(output));
        await using var writer = Create(Survivors);
        var start = (await writer.PutAsync(K("start"), B("x"))).Header.Revision + 1;
        var watch = new WatchCreateRequest { Key = K("e/"), RangeEnd = EtcdKeys.PrefixEnd(K("e/")), StartRevision = start };

        var created = new TaskCompletionSource();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var seen = new List<Event>();
        var watching = Task.Run(async () =>
        {
            await foreach (var response in watcher.WatchAsync(watch, cts.Token))
            {
                if (response.Created) created.TrySetResult();
                seen.AddRange(response.Events);
                if (seen.Count > 0 && seen[^1].Kv.Key == K("e/done")) return;
            }
        });
        await created.Task.WaitAsync(cts.Token);

        for (var i = 0; i < Writes; i++)
        {
            if (i == Writes / 3) cluster.Members[0].Kill();
            if (i == 2 * Writes / 3) await cluster.Members[0].RestartAsync();
            await PutResolvingAsync(writer, K($"e/{i:D4}"), B("v"));
        }

        await PutResolvingAsync(writer, K("e/done"), B("done"));
        await watching.WaitAsync(cts.Token);

        // No duplicate, in order:
        var revisions = seen.Select(e => e.Kv.ModRevision).ToList();
        Assert.True(revisions.Zip(revisions.Skip(1)).All(p => p.First < p.Second), "revisions strictly increase");

        // No gap: exactly the history a fresh watch on a healthy member replays.
        await using var reference = Create(Survivors);
        var truth = new List<Event>();
        await foreach (var response in reference.WatchAsync(watch, cts.Token))
        {
            truth.AddRange(response.Events);
            if (truth.Count > 0 && truth[^1].Kv.Key == K("e/done")) break;
        }

        Assert.Equal(truth.Select(e => (e.Kv.Key, e.Kv.ModRevision)), seen.Select(e => (e.Kv.Key, e.Kv.ModRevision)));
        Assert.True(seen.Count >= Writes + 1);
        output.WriteLine($"{seen.Count} events from revision {revisions[0]} to {revisions[^1]}");
    }

    /// <summary>A writer that resolves unknown outcomes the way the store does: read back, write again only if absent.</summary>
    private static async Task PutResolvingAsync(EtcdClient client, ByteString key, ByteString value)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await client.PutAsync(key, value);
                return;
            }
            catch (EtcdException e) when ((e.MayHaveBeenApplied || e is EtcdUnavailableException) && attempt < 10)
            {
                if (e.MayHaveBeenApplied)
                {
                    var existing = await client.GetAsync(key);
                    if (existing.Kvs.Count > 0) return;
                }
            }
        }
    }

    [Fact]
    public async Task lease_keep_alive_survives_the_loss_of_its_member_when_it_is_the_leader()
    {
        // The victim is the leader: the keep-alive must ride out an election.
        var leader = await cluster.Cluster.FindLeaderAsync();
        var others = cluster.Members.Where(m => m != leader).Select(m => m.ClientUrl).ToArray();
        await using var client = Create([leader.ClientUrl, .. others], o => o.Logger = new XunitLogger(output));
        // TTL 5 s: longer than a leader election (the victim may be the leader) plus a renewal.
        await using var lease = await client.CreateLeaseAsync(5);
        await client.PutAsync(new PutRequest { Key = K("leased"), Value = B("v"), Lease = lease.Id });

        leader.Kill();

        await using var observer = Create(others);
        var since = System.Diagnostics.Stopwatch.StartNew();
        await Poll.UntilAsync(async () =>
        {
            Assert.False(lease.IsLost, $"lease lost: {lease.LostReason}");
            Assert.Single((await observer.GetAsync(K("leased"))).Kvs);
            return since.Elapsed > TimeSpan.FromSeconds(7);
        }, TimeSpan.FromSeconds(20), "more than a lease TTL passed after the member died");
    }
}
