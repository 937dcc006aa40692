using System.Diagnostics;

namespace Fossil.Kv.Cli.Tests;

public sealed class ErrorTests(EtcdFixture etcd) : CliTestBase(etcd)
{
    private static readonly CliEnvironment NoVariables = new() { GetVariable = _ => null };

    [Fact]
    public async Task unreachable_etcd_fails_fast_with_unavailable_exit_code()
    {
        var closed = $"http://127.0.0.1:{LocalPorts.GetFree()}";
        var started = Stopwatch.StartNew();

        var result = await Cli.RunRawAsync(NoVariables, "--etcd", closed, "status");

        var error = result.AssertFails(ExitCodes.Unavailable);
        Assert.Contains("etcd is unavailable", error, StringComparison.Ordinal);
        Assert.Contains(closed, error, StringComparison.Ordinal);
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(15), $"took {started.Elapsed}");
    }

    [Theory]
    [InlineData("config", "get")]
    [InlineData("segments", "list")]
    [InlineData("streams", "read", "s")]
    [InlineData("streams", "append", "s", "--type", "T")]
    [InlineData("streams", "tail", "--all")]
    [InlineData("etcd", "status")]
    [InlineData("etcd", "compact", "--yes")]
    [InlineData("etcd", "disarm")]
    public async Task every_store_command_reports_an_unreachable_etcd(params string[] args)
    {
        var closed = $"http://127.0.0.1:{LocalPorts.GetFree()}";

        var result = await Cli.RunRawAsync(NoVariables, ["--etcd", closed, "--json", .. args]);

        Assert.Contains("etcd is unavailable", result.AssertFails(ExitCodes.Unavailable), StringComparison.Ordinal);
        Assert.Empty(result.Stdout);
    }

    [Fact]
    public async Task endpoints_come_from_the_environment_variable_when_not_given()
    {
        var closed = $"http://127.0.0.1:{LocalPorts.GetFree()}";
        var environment = new CliEnvironment { GetVariable = name => name == CliApp.EndpointsVariable ? closed : null };

        var fromVariable = await Cli.RunRawAsync(environment, "etcd", "status");
        var fromOption = await Cli.RunRawAsync(environment, "--etcd", NewCli().Endpoints, "etcd", "status", "--json");

        Assert.Contains(closed, fromVariable.AssertFails(ExitCodes.Unavailable), StringComparison.Ordinal);
        Assert.True(fromOption.Json.GetProperty("members").GetArrayLength() >= 1);
    }

    [Theory]
    [InlineData("bogus")]
    [InlineData("streams")]
    [InlineData("streams", "append", "s")]
    [InlineData("streams", "read", "s", "--limit", "many")]
    [InlineData("streams", "append", "s", "--type", "T", "--id", "not-a-uuid")]
    [InlineData("segments", "list", "--status", "frozen")]
    [InlineData("streams", "tail")]
    [InlineData("streams", "tail", "s", "--all")]
    [InlineData("config", "set")]
    public async Task malformed_command_lines_are_usage_errors(params string[] args)
    {
        var result = await NewCli().RunAsync(args);

        result.AssertFails(ExitCodes.Usage);
        Assert.Empty(result.Stdout);
    }

    [Fact]
    public async Task a_malformed_endpoint_is_invalid_input()
    {
        var result = await Cli.RunRawAsync(NoVariables, "--etcd", "ftp://nowhere", "status");

        Assert.Contains("ftp://nowhere", result.AssertFails(ExitCodes.Failure), StringComparison.Ordinal);
    }

    [Fact]
    public async Task help_succeeds_and_lists_the_commands()
    {
        var result = await Cli.RunRawAsync(NoVariables, "--help");

        Assert.Equal(0, result.ExitCode);
        foreach (var command in new[] { "status", "config", "segments", "streams", "etcd" })
            Assert.Contains(command, result.Stdout, StringComparison.Ordinal);
        Assert.Empty(result.Stderr);
    }

    [Fact]
    public async Task commands_that_need_a_store_say_when_the_prefix_holds_none()
    {
        var cli = NewCli();

        var error = (await cli.RunAsync("segments", "list")).AssertFails(ExitCodes.NotFound);

        Assert.Contains(cli.Prefix, error, StringComparison.Ordinal);
        // Looking did not create a store there.
        Assert.False((await cli.RunAsync("status", "--json")).Json.GetProperty("store").GetProperty("initialized").GetBoolean());
    }

    [Theory]
    [InlineData("--limit must be a whole number (got 'many')", "streams", "read", "s", "--limit", "many")]
    [InlineData("--id must be a UUID", "streams", "append", "s", "--type", "T", "--id", "order-1")]
    [InlineData("--revision must be a whole number (got 'abc')", "etcd", "compact", "--revision", "abc")]
    [InlineData("--seconds must be a number (got 'x')", "bench", "--seconds", "x")]
    public async Task a_value_of_the_wrong_type_names_what_was_expected_not_a_dotnet_type(string expected, params string[] args)
    {
        var error = (await NewCli().RunAsync(args)).AssertFails(ExitCodes.Usage);

        Assert.Contains(expected, error, StringComparison.Ordinal);
        Assert.DoesNotContain("System.", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task an_empty_etcd_option_is_refused_rather_than_taken_for_the_default()
    {
        var result = await Cli.RunRawAsync(NoVariables, "--etcd", "", "status");

        Assert.Contains("--etcd names no endpoint", result.AssertFails(ExitCodes.Failure), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("meta", "metadata")]
    [InlineData("s", "segments")]
    [InlineData("meta/tenant", "metadata")]
    public async Task a_prefix_inside_another_stores_metadata_or_segments_is_refused_and_writes_nothing(string nested, string kind)
    {
        var parent = NewCli();
        await parent.AppendAsync("s");
        var keysBefore = await EtcdCtl.RunAsync(Etcd.Endpoints, "get", "--prefix", "--keys-only", parent.Prefix + "/");
        var inside = new Cli(Etcd.Endpoints, $"{parent.Prefix}/{nested}");

        var append = await inside.RunAsync("streams", "append", "pp", "--type", "X");
        var status = await inside.RunAsync("status", "--json");

        var error = append.AssertFails(ExitCodes.Failure);
        Assert.StartsWith($"error: --prefix '{inside.Prefix}' puts the store inside", error, StringComparison.Ordinal);
        Assert.Contains($"where the store at '{parent.Prefix}' keeps its {kind}", error, StringComparison.Ordinal);
        Assert.Equal(error, status.AssertFails(ExitCodes.Failure));
        Assert.Equal(keysBefore, await EtcdCtl.RunAsync(Etcd.Endpoints, "get", "--prefix", "--keys-only", parent.Prefix + "/"));
    }

    [Fact]
    public async Task a_prefix_inside_the_default_stores_metadata_or_segments_is_refused_whatever_its_spelling()
    {
        // Compared before and after rather than expected empty: an external etcd may hold keys an older build wrote there.
        async Task<string> NestedKeysAsync() =>
            await EtcdCtl.RunAsync(Etcd.Endpoints, "get", "--prefix", "--keys-only", "/meta/meta/")
            + await EtcdCtl.RunAsync(Etcd.Endpoints, "get", "--prefix", "--keys-only", "/s/meta/");
        var before = await NestedKeysAsync();

        foreach (var prefix in new[] { "/meta", "meta", "/meta/", "/s" })
        {
            var error = (await new Cli(Etcd.Endpoints, prefix).RunAsync("streams", "append", "pp", "--type", "X")).AssertFails(ExitCodes.Failure);

            Assert.Contains("where the default store (no prefix) keeps its", error, StringComparison.Ordinal);
        }
        Assert.Equal(before, await NestedKeysAsync());
    }

    [Fact]
    public async Task a_corrupt_store_record_is_named_as_such_not_an_unexpected_failure()
    {
        var cli = NewCli();
        await EtcdCtl.RunAsync(Etcd.Endpoints, "put", cli.Prefix + "/meta/config", "garbage");

        var error = (await cli.RunAsync("config", "get")).AssertFails(ExitCodes.Failure);

        Assert.Contains("not valid JSON", error, StringComparison.Ordinal);
        Assert.DoesNotContain("unexpected failure", error, StringComparison.Ordinal);
    }
}
