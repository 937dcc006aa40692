using Fossil.Kv.Cluster;
using Fossil.Kv.Etcd;

namespace Fossil.Kv.Cli.Tests;

public sealed class NodeTests(EtcdFixture etcd) : CliTestBase(etcd)
{
    [Fact]
    public async Task nodes_list_shows_registered_nodes_until_they_leave()
    {
        var cli = NewCli();
        await using var store = await EventStore.ConnectAsync(new FossilOptions
        {
            RootPrefix = cli.Prefix,
            Etcd = new EtcdClientOptions { Endpoints = [.. Etcd.Endpoints.Select(e => e.AbsoluteUri.TrimEnd('/'))] },
        });
        var registration = await store.RegisterNodeAsync(new NodeInfo("node-a", ["http://127.0.0.1:5080"], DateTime.UtcNow, "1.0"), TimeSpan.FromSeconds(10));

        await Poll.UntilAsync(async () => (await cli.RunAsync("nodes", "list", "--json")).Json.GetProperty("nodes").GetArrayLength() == 1,
            TimeSpan.FromSeconds(30), "the node is registered");
        var listed = (await cli.RunAsync("nodes", "list", "--json")).Json.GetProperty("nodes")[0];
        await registration.DisposeAsync();
        var after = (await cli.RunAsync("nodes", "list", "--json")).Json.GetProperty("nodes");

        Assert.Equal("node-a", listed.GetProperty("id").GetString());
        Assert.False(listed.GetProperty("holds_background_work").GetBoolean()); // it never claimed the work
        Assert.Equal("http://127.0.0.1:5080", listed.GetProperty("urls")[0].GetString());
        Assert.Equal(0, after.GetArrayLength());
    }
}
