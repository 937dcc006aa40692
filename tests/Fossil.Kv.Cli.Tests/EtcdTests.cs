namespace Fossil.Kv.Cli.Tests;

public sealed class EtcdTests(EtcdFixture etcd) : CliTestBase(etcd)
{
    [Fact]
    public async Task etcd_status_lists_members_with_a_leader()
    {
        var json = (await NewCli().RunAsync("etcd", "status", "--json")).Json;

        var members = json.GetProperty("members").EnumerateArray().ToList();
        Assert.Equal(Etcd.Endpoints.Count, members.Count);
        Assert.Single(members, m => m.GetProperty("is_leader").GetBoolean());
        Assert.All(members, m => Assert.False(string.IsNullOrEmpty(m.GetProperty("version").GetString())));
    }

    [Fact]
    public async Task compact_without_yes_and_without_a_terminal_refuses()
    {
        var result = await NewCli().RunAsync("etcd", "compact");

        Assert.Contains("--yes", result.AssertFails(ExitCodes.Failure), StringComparison.Ordinal);
    }

    [Fact]
    public async Task defrag_without_yes_and_without_a_terminal_refuses()
    {
        (await NewCli().RunAsync("etcd", "defrag")).AssertFails(ExitCodes.Failure);
    }

    [Fact]
    public async Task compact_asks_and_a_no_does_nothing()
    {
        var cli = NewCli();
        var environment = new CliEnvironment { GetVariable = _ => null, CanPrompt = true, Input = new StringReader("n\n") };

        var result = await cli.RunAsync(environment, "etcd", "compact", "--json");

        Assert.Equal(ExitCodes.Failure, result.ExitCode);
        Assert.Contains("Continue? [y/N]", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("error: not confirmed", result.Stderr, StringComparison.Ordinal);
        Assert.Empty(result.Stdout);
    }
}
