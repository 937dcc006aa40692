namespace Fossil.Kv.Cli.Tests;

[CollectionDefinition(Name)]
public sealed class EtcdClusterCollection : ICollectionFixture<EtcdClusterFixture>
{
    public const string Name = "etcd-cluster";
}

/// <summary>A three-member cluster with one member down: status reports it, defrag does the rest and fails.</summary>
[Collection(EtcdClusterCollection.Name)]
public sealed class ClusterTests(EtcdClusterFixture cluster) : IAsyncLifetime
{
    public Task InitializeAsync() => cluster.HealAsync();

    public Task DisposeAsync() => cluster.HealAsync();

    [Fact]
    public async Task status_and_defrag_cover_every_member()
    {
        var cli = new Cli(cluster.Endpoints, TestKeys.UniquePrefix());

        var status = (await cli.RunAsync("etcd", "status", "--json")).Json;
        var defrag = (await cli.RunAsync("etcd", "defrag", "--yes", "--json")).Json;

        Assert.Equal(3, status.GetProperty("members").GetArrayLength());
        Assert.Single(status.GetProperty("members").EnumerateArray(), m => m.GetProperty("is_leader").GetBoolean());
        Assert.Equal(3, defrag.GetProperty("members").EnumerateArray().Count(m => m.GetProperty("ok").GetBoolean()));
    }

    [Fact]
    public async Task a_member_that_is_down_is_reported_not_fatal()
    {
        var cli = new Cli(cluster.Endpoints, TestKeys.UniquePrefix());
        var leader = await cluster.Cluster.FindLeaderAsync();
        var follower = cluster.Members.First(m => m != leader);
        follower.Kill();

        var status = await cli.RunAsync("status", "--json");
        var defrag = await cli.RunAsync("etcd", "defrag", "--yes", "--json");

        var members = status.Json.GetProperty("etcd").GetProperty("members").EnumerateArray().ToList();
        Assert.Equal(3, members.Count);
        var down = Assert.Single(members, m => m.GetProperty("error").ValueKind != System.Text.Json.JsonValueKind.Null);
        Assert.Contains(follower.ClientPort.ToString(System.Globalization.CultureInfo.InvariantCulture), down.GetProperty("client_urls")[0].GetString(), StringComparison.Ordinal);
        Assert.NotEqual(System.Text.Json.JsonValueKind.Null, status.Json.GetProperty("etcd").GetProperty("leader").ValueKind);
        Assert.Contains(follower.ClientUrl.ToString().TrimEnd('/'), defrag.AssertFails(ExitCodes.Unavailable), StringComparison.Ordinal);
        using var partial = System.Text.Json.JsonDocument.Parse(defrag.Stdout);
        Assert.Equal(2, partial.RootElement.GetProperty("members").EnumerateArray().Count(m => m.GetProperty("ok").GetBoolean()));
    }

    [Fact]
    public async Task a_hung_first_endpoint_is_skipped_for_the_next_member()
    {
        var prefix = TestKeys.UniquePrefix();
        (await new Cli(cluster.Endpoints, prefix).RunAsync("streams", "append", "s", "--type", "T", "--json")).AssertSucceeded();
        var leader = await cluster.Cluster.FindLeaderAsync();
        var hung = cluster.Members.First(m => m != leader);
        hung.Pause();
        // The paused member first, as an operator's --etcd list might name it.
        var cli = new Cli([hung.ClientUrl, .. cluster.Members.Where(m => m != hung).Select(m => m.ClientUrl)], prefix);

        var read = await cli.RunAsync("streams", "read", "s", "--json");
        var config = await cli.RunAsync("config", "get", "--json");

        Assert.Equal(1, read.Json.GetProperty("events").GetArrayLength());
        Assert.Equal(JsonValueKindObject, config.Json.ValueKind);
    }

    private const System.Text.Json.JsonValueKind JsonValueKindObject = System.Text.Json.JsonValueKind.Object;
}
