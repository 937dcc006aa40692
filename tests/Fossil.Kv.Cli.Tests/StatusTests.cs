namespace Fossil.Kv.Cli.Tests;

public sealed class StatusTests(EtcdFixture etcd) : CliTestBase(etcd)
{
    [Fact]
    public async Task status_shows_members_leader_sizes_and_an_uninitialized_store()
    {
        var json = (await NewCli().RunAsync("status", "--json")).Json;

        var cluster = json.GetProperty("etcd");
        var members = cluster.GetProperty("members").EnumerateArray().ToList();
        Assert.NotEmpty(members);
        var leader = cluster.GetProperty("leader").GetString();
        Assert.Single(members, m => m.GetProperty("is_leader").GetBoolean() && m.GetProperty("id").GetString() == leader);
        Assert.All(members, m =>
        {
            Assert.True(m.GetProperty("db_size").GetInt64() > 0);
            Assert.True(m.GetProperty("db_size_in_use").GetInt64() > 0);
            Assert.Equal(System.Text.Json.JsonValueKind.Null, m.GetProperty("error").ValueKind);
        });
        Assert.True(cluster.GetProperty("revision").GetInt64() > 0);
        Assert.Equal(0, cluster.GetProperty("alarms").GetArrayLength());
        var store = json.GetProperty("store");
        Assert.False(store.GetProperty("initialized").GetBoolean());
        Assert.Equal(0, store.GetProperty("keys").GetProperty("meta").GetInt64());
        Assert.Equal(0, store.GetProperty("active_segments").GetArrayLength());
    }

    [Fact]
    public async Task status_counts_the_statuskeys_and_lists_active_segments()
    {
        var cli = NewCli();
        await cli.AppendAsync("order-1");
        await cli.AppendAsync("order-2");

        var store = (await cli.RunAsync("status", "--json")).Json.GetProperty("store");

        Assert.True(store.GetProperty("initialized").GetBoolean());
        Assert.Equal(cli.Prefix, store.GetProperty("prefix").GetString());
        var partitions = store.GetProperty("window").GetProperty("partitions").GetInt32();
        var active = store.GetProperty("active_segments").EnumerateArray().ToList();
        Assert.Equal(partitions, active.Count);
        Assert.All(active, s => Assert.Equal("active", s.GetProperty("status").GetString()));
        Assert.Equal(2, active.Sum(s => s.GetProperty("document_count").GetInt64()));
        var keys = store.GetProperty("keys");
        Assert.Equal(2, keys.GetProperty("streams").GetInt64());
        Assert.Equal(partitions, keys.GetProperty("segments").GetInt64());
        Assert.True(keys.GetProperty("data").GetInt64() >= 4); // two batches and two entries at least
        Assert.True(keys.GetProperty("meta").GetInt64() >= 2 + partitions + 2); // config, window, segments, streams
    }

    [Fact]
    public async Task status_renders_tables_for_people()
    {
        var cli = NewCli();
        await cli.AppendAsync("order-1");

        var result = await cli.RunAsync("status");

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("raft term", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("alarms: none", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("active segment", result.Stdout, StringComparison.Ordinal);
        Assert.Empty(result.Stderr);
    }

    [Fact]
    public async Task status_lists_the_live_nodes_and_who_holds_the_background_work()
    {
        var cli = NewCli();
        await cli.AppendAsync("order-1");
        await using var store = await EventStore.ConnectAsync(new FossilOptions
        {
            RootPrefix = cli.Prefix,
            Etcd = new Fossil.Kv.Etcd.EtcdClientOptions { Endpoints = [.. Etcd.Endpoints.Select(e => e.AbsoluteUri.TrimEnd('/'))] },
        });
        await using var registration = await store.RegisterNodeAsync(
            new Fossil.Kv.Cluster.NodeInfo("node-s", ["http://127.0.0.1:5080"], DateTime.UtcNow, "1.0"), TimeSpan.FromSeconds(10));
        await Poll.UntilAsync(async () => await store.ClaimBackgroundWorkAsync(registration) is not null, TimeSpan.FromSeconds(30), "the node holds the background work");

        var status = (await cli.RunAsync("status", "--json")).Json.GetProperty("store");
        var table = await cli.RunAsync("status");

        var node = Assert.Single(status.GetProperty("nodes").EnumerateArray());
        Assert.Equal("node-s", node.GetProperty("id").GetString());
        Assert.Equal("http://127.0.0.1:5080", node.GetProperty("urls")[0].GetString());
        Assert.True(node.GetProperty("holds_background_work").GetBoolean());
        Assert.Equal("node-s", status.GetProperty("background_work").GetString());
        Assert.Contains("nodes: node-s (background work)", table.AssertSucceeded().Stdout, StringComparison.Ordinal);
    }
}
