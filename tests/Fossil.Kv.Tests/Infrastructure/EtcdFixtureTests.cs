namespace Fossil.Kv.Tests.Infrastructure;

/// <summary>The fixtures give tests a real etcd; these prove it through etcdctl, independent of our client.</summary>
[Collection(EtcdCollection.Name)]
public sealed class EtcdFixtureTests(EtcdFixture etcd)
{
    [Fact]
    public async Task fixture_etcd_stores_and_returns_a_key()
    {
        var key = TestKeys.UniquePrefix() + "/greeting";

        await EtcdCtl.RunAsync(etcd.Endpoints, "put", key, "hello");
        var value = await EtcdCtl.RunAsync(etcd.Endpoints, "get", key, "--print-value-only");

        Assert.Equal("hello", value.Trim());
    }

    [Fact]
    public void unique_prefixes_differ_between_calls()
    {
        Assert.NotEqual(TestKeys.UniquePrefix(), TestKeys.UniquePrefix());
    }
}
