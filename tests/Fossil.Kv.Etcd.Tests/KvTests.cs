using Etcdserverpb;
using Google.Protobuf;
using static Fossil.Kv.Etcd.Tests.TestClients;

namespace Fossil.Kv.Etcd.Tests;

[Collection(EtcdCollection.Name)]
public sealed class KvTests(EtcdFixture etcd) : IAsyncLifetime
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

    [Fact]
    public async Task put_then_get_returns_value_and_revisions()
    {
        var put = await _client.PutAsync(K("a"), B("one"));
        var got = await _client.GetAsync(K("a"));

        var kv = Assert.Single(got.Kvs);
        Assert.Equal("one", kv.Value.ToStringUtf8());
        Assert.Equal(put.Header.Revision, kv.ModRevision);
        Assert.Equal(put.Header.Revision, kv.CreateRevision);
        Assert.Equal(1, kv.Version);
        Assert.True(got.Header.Revision >= put.Header.Revision);
    }

    [Fact]
    public async Task get_of_missing_key_returns_no_kvs()
    {
        var got = await _client.GetAsync(K("missing"));
        Assert.Empty(got.Kvs);
        Assert.Equal(0, got.Count);
    }

    [Fact]
    public async Task put_from_memory_wraps_without_copy_and_round_trips()
    {
        var key = System.Text.Encoding.UTF8.GetBytes($"{_prefix}/mem");
        var value = new byte[256];
        Random.Shared.NextBytes(value);
        await _client.PutAsync(key.AsMemory(), value.AsMemory());
        var got = await _client.GetAsync(ByteString.CopyFrom(key));
        Assert.Equal(value, got.Kvs[0].Value.ToByteArray());
    }

    [Fact]
    public async Task put_with_prev_kv_returns_previous_value()
    {
        await _client.PutAsync(K("p"), B("v1"));
        var second = await _client.PutAsync(new PutRequest { Key = K("p"), Value = B("v2"), PrevKv = true });
        Assert.Equal("v1", second.PrevKv.Value.ToStringUtf8());
    }

    [Fact]
    public async Task get_prefix_returns_keys_in_order_and_not_a_sibling_prefix()
    {
        await _client.PutAsync(K("x/2"), B("2"));
        await _client.PutAsync(K("x/1"), B("1"));
        await _client.PutAsync(K("x0"), B("sibling"));

        var got = await _client.GetPrefixAsync(K("x/"));

        Assert.Equal([$"{_prefix}/x/1", $"{_prefix}/x/2"], got.Kvs.Select(k => k.Key.ToStringUtf8()));
    }

    [Fact]
    public async Task range_with_limit_reports_more_and_count()
    {
        for (var i = 0; i < 5; i++) await _client.PutAsync(K($"l/{i}"), B("v"));
        var got = await _client.RangeAsync(new RangeRequest { Key = K("l/"), RangeEnd = EtcdKeys.PrefixEnd(K("l/")), Limit = 2 });
        Assert.Equal(2, got.Kvs.Count);
        Assert.True(got.More);
        Assert.Equal(5, got.Count);
    }

    [Fact]
    public async Task delete_range_deletes_prefix_and_returns_prev_kvs()
    {
        await _client.PutAsync(K("d/1"), B("1"));
        await _client.PutAsync(K("d/2"), B("2"));

        var deleted = await _client.DeleteRangeAsync(new DeleteRangeRequest { Key = K("d/"), RangeEnd = EtcdKeys.PrefixEnd(K("d/")), PrevKv = true });

        Assert.Equal(2, deleted.Deleted);
        Assert.Equal(["1", "2"], deleted.PrevKvs.Select(k => k.Value.ToStringUtf8()));
        Assert.Empty((await _client.GetPrefixAsync(K("d/"))).Kvs);
    }

    [Fact]
    public async Task txn_compare_value_on_missing_key_is_false()
    {
        var txn = new TxnRequest
        {
            Compare = { new Compare { Key = K("nokey"), Target = Compare.Types.CompareTarget.Value, Result = Compare.Types.CompareResult.Equal, Value = ByteString.Empty } },
            Success = { new RequestOp { RequestPut = new PutRequest { Key = K("s"), Value = B("success") } } },
            Failure = { new RequestOp { RequestPut = new PutRequest { Key = K("f"), Value = B("failure") } } },
        };

        var response = await _client.TxnAsync(txn);

        Assert.False(response.Succeeded);
        Assert.Single((await _client.GetAsync(K("f"))).Kvs);
        Assert.Empty((await _client.GetAsync(K("s"))).Kvs);
    }

    [Fact]
    public async Task txn_compare_version_zero_on_missing_key_is_true()
    {
        var txn = new TxnRequest
        {
            Compare = { new Compare { Key = K("nokey"), Target = Compare.Types.CompareTarget.Version, Result = Compare.Types.CompareResult.Equal, Version = 0 } },
            Success = { new RequestOp { RequestPut = new PutRequest { Key = K("nokey"), Value = B("created") } } },
        };

        Assert.True((await _client.TxnAsync(txn)).Succeeded);
        Assert.False((await _client.TxnAsync(txn)).Succeeded); // now it exists: version 1
    }

    [Fact]
    public async Task compare_and_swap_on_mod_revision_lets_exactly_one_concurrent_writer_win()
    {
        var put = await _client.PutAsync(K("cas"), B("0"));
        var attempts = Enumerable.Range(0, 16).Select(i => _client.TxnAsync(new TxnRequest
        {
            Compare = { new Compare { Key = K("cas"), Target = Compare.Types.CompareTarget.Mod, Result = Compare.Types.CompareResult.Equal, ModRevision = put.Header.Revision } },
            Success = { new RequestOp { RequestPut = new PutRequest { Key = K("cas"), Value = B($"writer-{i}") } } },
        }));

        var results = await Task.WhenAll(attempts);

        Assert.Equal(1, results.Count(r => r.Succeeded));
        Assert.Equal(2, (await _client.GetAsync(K("cas"))).Kvs[0].Version);
    }

    [Fact]
    public async Task txn_returns_responses_of_nested_txn_and_range()
    {
        await _client.PutAsync(K("n/1"), B("one"));
        var txn = new TxnRequest
        {
            Success =
            {
                new RequestOp { RequestRange = new RangeRequest { Key = K("n/1") } },
                new RequestOp { RequestTxn = new TxnRequest { Success = { new RequestOp { RequestPut = new PutRequest { Key = K("n/2"), Value = B("two") } } } } },
                new RequestOp { RequestDeleteRange = new DeleteRangeRequest { Key = K("n/1") } },
            },
        };

        var response = await _client.TxnAsync(txn);

        Assert.True(response.Succeeded);
        Assert.Equal("one", response.Responses[0].ResponseRange.Kvs[0].Value.ToStringUtf8());
        Assert.True(response.Responses[1].ResponseTxn.Succeeded);
        Assert.Equal(1, response.Responses[2].ResponseDeleteRange.Deleted);
    }

    [Fact]
    public async Task txn_over_128_operations_fails_with_too_many_operations()
    {
        var txn = new TxnRequest();
        for (var i = 0; i < 129; i++) txn.Success.Add(new RequestOp { RequestPut = new PutRequest { Key = K($"many/{i}"), Value = B("v") } });

        var error = await Assert.ThrowsAsync<EtcdTooManyOperationsException>(() => _client.TxnAsync(txn));

        Assert.Equal(GrpcStatusCode.InvalidArgument, error.StatusCode);
        Assert.False(error.MayHaveBeenApplied);
        Assert.Empty((await _client.GetPrefixAsync(K("many/"))).Kvs);
    }

    [Fact]
    public async Task txn_of_128_operations_succeeds()
    {
        var txn = new TxnRequest();
        for (var i = 0; i < 128; i++) txn.Success.Add(new RequestOp { RequestPut = new PutRequest { Key = K($"max/{i}"), Value = B("v") } });
        Assert.True((await _client.TxnAsync(txn)).Succeeded);
        Assert.Equal(128, (await _client.GetPrefixAsync(K("max/"))).Count);
    }

    [Fact]
    public async Task request_over_1_5_mib_fails_with_request_too_large()
    {
        var value = UnsafeByteOperations.UnsafeWrap(new byte[(int)(1.6 * 1024 * 1024)]);

        var error = await Assert.ThrowsAsync<EtcdRequestTooLargeException>(() => _client.PutAsync(K("big"), value));

        Assert.False(error.MayHaveBeenApplied);
        Assert.Empty((await _client.GetAsync(K("big"))).Kvs);
    }

    [Fact]
    public async Task request_over_the_client_send_limit_fails_before_sending()
    {
        var value = UnsafeByteOperations.UnsafeWrap(new byte[3 * 1024 * 1024]);
        var error = await Assert.ThrowsAsync<EtcdRequestTooLargeException>(() => _client.PutAsync(K("huge"), value));
        Assert.Null(error.EtcdMessage);
    }

    [Fact]
    public async Task txn_with_duplicate_key_fails_with_invalid_argument()
    {
        var txn = new TxnRequest
        {
            Success =
            {
                new RequestOp { RequestPut = new PutRequest { Key = K("dup"), Value = B("1") } },
                new RequestOp { RequestPut = new PutRequest { Key = K("dup"), Value = B("2") } },
            },
        };

        var error = await Assert.ThrowsAsync<EtcdInvalidArgumentException>(() => _client.TxnAsync(txn));
        Assert.Equal("etcdserver: duplicate key given in txn request", error.EtcdMessage);
    }

    [Fact]
    public async Task range_at_a_future_revision_fails_with_invalid_argument()
    {
        var now = (await _client.GetAsync(K("any"))).Header.Revision;
        await Assert.ThrowsAsync<EtcdInvalidArgumentException>(() => _client.RangeAsync(new RangeRequest { Key = K("any"), Revision = now + 1000 }));
    }

    [Fact]
    public async Task concurrent_puts_all_succeed_over_multiplexed_connections()
    {
        var puts = Enumerable.Range(0, 256).Select(i => _client.PutAsync(K($"c/{i:D3}"), B("v")));
        await Task.WhenAll(puts);
        Assert.Equal(256, (await _client.GetPrefixAsync(K("c/"))).Count);
    }
}
