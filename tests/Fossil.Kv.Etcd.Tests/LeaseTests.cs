using System.Diagnostics;
using Etcdserverpb;
using Google.Protobuf;
using static Fossil.Kv.Etcd.Tests.TestClients;

namespace Fossil.Kv.Etcd.Tests;

[Collection(EtcdCollection.Name)]
public sealed class LeaseTests(EtcdFixture etcd) : IAsyncLifetime
{
    private readonly string _prefix = TestKeys.UniquePrefix();
    private EtcdClient _client = null!;

    public Task InitializeAsync()
    {
        _client = Create(etcd.Endpoints);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _client.DisposeAsync();

    private ByteString K(string name) => B($"{_prefix}/{name}");

    private async Task<bool> ExistsAsync(string name) => (await _client.GetAsync(K(name))).Kvs.Count > 0;

    [Fact]
    public async Task lease_stays_alive_while_kept_alive_and_expires_after_keep_alive_stops()
    {
        await using var lease = await _client.CreateLeaseAsync(2);
        await _client.PutAsync(new PutRequest { Key = K("owned"), Value = B("v"), Lease = lease.Id });

        // Three TTLs pass with the key still there: the keep-alive renews it.
        var alive = Stopwatch.StartNew();
        await Poll.UntilAsync(async () =>
        {
            Assert.True(await ExistsAsync("owned"), $"key vanished after {alive.Elapsed} while keep-alive ran");
            return alive.Elapsed > TimeSpan.FromSeconds(6);
        }, TimeSpan.FromSeconds(15), "three lease TTLs have passed");
        Assert.False(lease.IsLost);

        await lease.StopKeepAliveAsync();
        await Poll.UntilAsync(async () => !await ExistsAsync("owned"), TimeSpan.FromSeconds(10), "the lease expired and took its key");
    }

    [Fact]
    public async Task lease_is_reported_lost_when_revoked_elsewhere()
    {
        await using var lease = await _client.CreateLeaseAsync(5);
        await _client.RevokeLeaseAsync(lease.Id);

        await Poll.UntilAsync(() => lease.IsLost, TimeSpan.FromSeconds(10), "the keep-alive saw TTL 0");
        Assert.True(lease.Lost.IsCancellationRequested);
        Assert.IsType<EtcdLeaseNotFoundException>(lease.LostReason);
    }

    [Fact]
    public async Task revoke_deletes_attached_keys_and_time_to_live_reports_the_lease()
    {
        var granted = await _client.GrantLeaseAsync(30);
        await _client.PutAsync(new PutRequest { Key = K("r"), Value = B("v"), Lease = granted.ID });

        var ttl = await _client.LeaseTimeToLiveAsync(granted.ID, keys: true);
        Assert.InRange(ttl.TTL, 1, 30);
        Assert.Equal($"{_prefix}/r", Assert.Single(ttl.Keys).ToStringUtf8());

        await _client.RevokeLeaseAsync(granted.ID);
        Assert.False(await ExistsAsync("r"));
        Assert.Equal(-1, (await _client.LeaseTimeToLiveAsync(granted.ID)).TTL);
    }

    [Fact]
    public async Task revoke_of_unknown_lease_fails_with_lease_not_found()
    {
        var error = await Assert.ThrowsAsync<EtcdLeaseNotFoundException>(() => _client.RevokeLeaseAsync(0x7fff_0000_1234));
        Assert.Equal(GrpcStatusCode.NotFound, error.StatusCode);
    }

    [Fact]
    public async Task put_with_unknown_lease_fails_with_lease_not_found()
    {
        await Assert.ThrowsAsync<EtcdLeaseNotFoundException>(() =>
            _client.PutAsync(new PutRequest { Key = K("x"), Value = B("v"), Lease = 0x7fff_0000_4321 }));
    }
}
