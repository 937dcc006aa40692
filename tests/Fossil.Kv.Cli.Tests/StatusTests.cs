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
    public async Task status_counts_the_store_keys_and_lists_active_segments()
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
}
