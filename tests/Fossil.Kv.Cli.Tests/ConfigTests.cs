namespace Fossil.Kv.Cli.Tests;

public sealed class ConfigTests(EtcdFixture etcd) : CliTestBase(etcd)
{
    [Fact]
    public async Task config_get_shows_every_setting_with_http_api_names()
    {
        var cli = NewCli();
        await cli.AppendAsync("s");

        var json = (await cli.RunAsync("config", "get", "--json")).Json;

        Assert.Equal("1d", json.GetProperty("segment.duration").GetString());
        Assert.Equal(new Fossil.Kv.Configuration.StoreSettings().SegmentPartitions, json.GetProperty("segment.partitions").GetInt32());
        Assert.Equal("30d", json.GetProperty("segment.retention").GetString());
        Assert.Equal("10GB", json.GetProperty("segment.max_size").GetString());
        Assert.Equal(16, json.GetProperty("hnsw.m").GetInt32());
    }

    [Fact]
    public async Task config_get_one_setting()
    {
        var cli = NewCli();
        await cli.AppendAsync("s");

        var json = (await cli.RunAsync("config", "get", "segment.retention", "--json")).Json;

        Assert.Equal("30d", Assert.Single(json.EnumerateObject()).Value.GetString());
    }

    [Fact]
    public async Task config_set_changes_settings_and_shows_old_and_new()
    {
        var cli = NewCli();
        await cli.AppendAsync("s");

        var json = (await cli.RunAsync("config", "set", "segment.duration=1h", "hnsw.ef_search=64", "--json")).Json;

        var changes = json.GetProperty("changes").EnumerateArray().ToDictionary(c => c.GetProperty("name").GetString()!);
        Assert.Equal("1d", changes["segment.duration"].GetProperty("old").GetString());
        Assert.Equal("1h", changes["segment.duration"].GetProperty("new").GetString());
        Assert.Equal(100, changes["hnsw.ef_search"].GetProperty("old").GetInt32());
        Assert.Equal(64, changes["hnsw.ef_search"].GetProperty("new").GetInt32());
        var after = (await cli.RunAsync("config", "get", "--json")).Json;
        Assert.Equal("1h", after.GetProperty("segment.duration").GetString());
        Assert.Equal(64, after.GetProperty("hnsw.ef_search").GetInt32());
    }

    [Fact]
    public async Task config_set_table_shows_the_change()
    {
        var cli = NewCli();
        await cli.AppendAsync("s");

        var result = await cli.RunAsync("config", "set", "segment.retention=12h");

        Assert.Equal(0, result.ExitCode);
        Assert.Matches("segment.retention.*30d.*→.*12h", result.Stdout);
    }

    [Theory]
    [InlineData("segment.duration=soon", "segment.duration")]
    [InlineData("segment.partitions=0", "segment.partitions")]
    [InlineData("segment.max_size=lots", "segment.max_size")]
    [InlineData("vector.metric=manhattan", "vector.metric")]
    [InlineData("no.such.setting=1", "no.such.setting")]
    [InlineData("segment.duration", "name=value")]
    public async Task invalid_config_values_fail_and_change_nothing(string assignment, string named)
    {
        var cli = NewCli();
        await cli.AppendAsync("s");
        var before = (await cli.RunAsync("config", "get", "--json")).Stdout;

        // A valid change beside the invalid one is not applied either: all or nothing.
        var result = await cli.RunAsync("config", "set", "segment.retention=2d", assignment);

        Assert.Contains(named, result.AssertFails(ExitCodes.Failure), StringComparison.Ordinal);
        Assert.Equal(before, (await cli.RunAsync("config", "get", "--json")).Stdout);
    }

    [Fact]
    public async Task invalid_config_value_does_not_create_a_store()
    {
        var cli = NewCli();

        (await cli.RunAsync("config", "set", "segment.partitions=1000")).AssertFails(ExitCodes.Failure);

        (await cli.RunAsync("config", "get")).AssertFails(ExitCodes.NotFound);
    }

    [Fact]
    public async Task config_get_of_an_unknown_setting_fails()
    {
        var cli = NewCli();
        await cli.AppendAsync("s");

        var error = (await cli.RunAsync("config", "get", "segment.colour")).AssertFails(ExitCodes.Failure);

        Assert.Contains("segment.colour", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("set", "segment.directory=/srv/segments")]
    [InlineData("set", "segment.archive=/mnt/archive")]
    [InlineData("get", "segment.mmap_populate")]
    public async Task node_local_settings_are_refused_with_where_they_belong(string verb, string argument)
    {
        var cli = NewCli();
        await cli.AppendAsync("s");
        var before = (await cli.RunAsync("config", "get", "--json")).Json.ToString();

        var error = (await cli.RunAsync("config", verb, argument)).AssertFails(ExitCodes.Failure);

        Assert.Contains("node-local", error, StringComparison.Ordinal);
        Assert.Contains("Fossil:Segment:", error, StringComparison.Ordinal);
        Assert.Equal(before, (await cli.RunAsync("config", "get", "--json")).Json.ToString());
    }
}
