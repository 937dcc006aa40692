using System.Text.Json;

namespace Fossil.Kv.Cli.Tests;

public sealed class StreamTests(EtcdFixture etcd) : CliTestBase(etcd)
{
    [Fact]
    public async Task append_then_read_returns_the_event_in_the_http_api_shape()
    {
        var cli = NewCli();
        var id = Guid.NewGuid();

        var appended = await cli.AppendAsync("order-1", """{"total":12.5}""", "--id", id.ToString(), "--metadata", """{"by":"cli"}""");
        var read = (await cli.RunAsync("streams", "read", "order-1", "--json")).Json;

        Assert.Equal("order-1", appended.GetProperty("stream").GetString());
        Assert.Equal(0, appended.GetProperty("firstVersion").GetInt64());
        Assert.Equal(0, appended.GetProperty("lastVersion").GetInt64());
        Assert.False(appended.GetProperty("repeat").GetBoolean());
        var e = Assert.Single(read.GetProperty("events").EnumerateArray());
        Assert.Equal(id, e.GetProperty("id").GetGuid());
        Assert.Equal("Happened", e.GetProperty("type").GetString());
        Assert.Equal(12.5, e.GetProperty("data").GetProperty("total").GetDouble());
        Assert.Equal("cli", e.GetProperty("metadata").GetProperty("by").GetString());
        Assert.Equal(appended.GetProperty("position").GetString(), e.GetProperty("position").GetString());
        Assert.Equal(appended.GetProperty("segment").GetString(), e.GetProperty("segment").GetString());
        Assert.True(e.TryGetProperty("segmentPosition", out _));
        Assert.Equal(JsonValueKind.Null, read.GetProperty("next").ValueKind);
    }

    [Fact]
    public async Task append_with_the_same_id_is_an_idempotent_repeat()
    {
        var cli = NewCli();
        var id = Guid.NewGuid().ToString();

        var first = await cli.AppendAsync("s", """{"n":1}""", "--id", id);
        var again = await cli.AppendAsync("s", """{"n":1}""", "--id", id);

        Assert.True(again.GetProperty("repeat").GetBoolean());
        Assert.Equal(first.GetProperty("position").GetString(), again.GetProperty("position").GetString());
        Assert.Single((await cli.RunAsync("streams", "read", "s", "--json")).Json.GetProperty("events").EnumerateArray());
    }

    [Fact]
    public async Task expected_version_mismatch_is_a_conflict_and_writes_nothing()
    {
        var cli = NewCli();
        await cli.AppendAsync("s");

        var noStream = await cli.RunAsync("streams", "append", "s", "--type", "T", "--expected", "no_stream");
        var wrongVersion = await cli.RunAsync("streams", "append", "s", "--type", "T", "--expected", "5");
        var right = await cli.RunAsync("streams", "append", "s", "--type", "T", "--expected", "0", "--json");

        Assert.Contains("expected no_stream", noStream.AssertFails(ExitCodes.Conflict), StringComparison.Ordinal);
        Assert.Contains("version 0", wrongVersion.AssertFails(ExitCodes.Conflict), StringComparison.Ordinal);
        Assert.Equal(1, right.Json.GetProperty("lastVersion").GetInt64());
        Assert.Equal(2, (await cli.RunAsync("streams", "read", "s", "--json")).Json.GetProperty("events").GetArrayLength());
    }

    [Fact]
    public async Task append_reads_data_from_a_file()
    {
        var cli = NewCli();
        var file = Path.GetTempFileName();
        try
        {
            await File.WriteAllTextAsync(file, """{"from":"file"}""");

            await cli.AppendAsync("s", "1");
            var result = await cli.RunAsync("streams", "append", "s", "--type", "FromFile", "--data-file", file, "--json");

            Assert.Equal(1, result.Json.GetProperty("lastVersion").GetInt64());
            var events = (await cli.RunAsync("streams", "read", "s", "--from", "1", "--json")).Json.GetProperty("events");
            Assert.Equal("file", Assert.Single(events.EnumerateArray()).GetProperty("data").GetProperty("from").GetString());
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Theory]
    [InlineData("--data", "{not json")]
    [InlineData("--metadata", "[1,2]")]
    [InlineData("--expected", "sometimes")]
    [InlineData("--data-file", "/no/such/file.json")]
    public async Task invalid_append_input_fails_and_writes_nothing(string option, string value)
    {
        var cli = NewCli();
        await cli.AppendAsync("s");

        var error = (await cli.RunAsync("streams", "append", "s", "--type", "T", option, value)).AssertFails(ExitCodes.Failure);

        Assert.Contains(option, error, StringComparison.Ordinal);
        Assert.Equal(1, (await cli.RunAsync("streams", "read", "s", "--json")).Json.GetProperty("events").GetArrayLength());
    }

    [Fact]
    public async Task an_invalid_stream_name_is_invalid_input()
    {
        var result = await NewCli().RunAsync("streams", "append", "bad\u0001name", "--type", "T");

        Assert.Contains("stream name", result.AssertFails(ExitCodes.Failure), StringComparison.Ordinal);
    }

    [Fact]
    public async Task read_pages_forwards_and_backwards()
    {
        var cli = NewCli();
        for (var i = 0; i < 5; i++) await cli.AppendAsync("s", $$"""{"i":{{i}}}""");

        var firstPage = (await cli.RunAsync("streams", "read", "s", "--limit", "2", "--json")).Json;
        var secondPage = (await cli.RunAsync("streams", "read", "s", "--from", "2", "--limit", "2", "--json")).Json;
        var backward = (await cli.RunAsync("streams", "read", "s", "--backward", "--limit", "3", "--json")).Json;
        var backwardFrom = (await cli.RunAsync("streams", "read", "s", "--backward", "--from", "1", "--json")).Json;

        Assert.Equal([0L, 1L], Versions(firstPage));
        Assert.Equal(2, firstPage.GetProperty("next").GetInt64());
        Assert.Equal([2L, 3L], Versions(secondPage));
        Assert.Equal([4L, 3L, 2L], Versions(backward));
        Assert.Equal(1, backward.GetProperty("next").GetInt64());
        Assert.Equal([1L, 0L], Versions(backwardFrom));
        Assert.Equal(JsonValueKind.Null, backwardFrom.GetProperty("next").ValueKind);
    }

    [Fact]
    public async Task read_renders_a_table_for_people()
    {
        var cli = NewCli();
        await cli.AppendAsync("s", """{"hello":"[bold]world[/]"}""");

        var result = await cli.RunAsync("streams", "read", "s");

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("[bold]world[/]", result.Stdout, StringComparison.Ordinal); // user text is never markup
        Assert.Contains("1 event(s)", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task reading_an_unknown_stream_is_not_found()
    {
        var cli = NewCli();
        await cli.AppendAsync("known");

        var read = await cli.RunAsync("streams", "read", "unknown", "--json");
        var info = await cli.RunAsync("streams", "info", "unknown");

        Assert.Contains("'unknown'", read.AssertFails(ExitCodes.NotFound), StringComparison.Ordinal);
        info.AssertFails(ExitCodes.NotFound);
    }

    [Fact]
    public async Task info_shows_the_version_and_segments()
    {
        var cli = NewCli();
        await cli.AppendAsync("s");
        var last = await cli.AppendAsync("s");

        var json = (await cli.RunAsync("streams", "info", "s", "--json")).Json;

        Assert.Equal(1, json.GetProperty("version").GetInt64());
        Assert.Equal(last.GetProperty("segment").GetString(), Assert.Single(json.GetProperty("segments").EnumerateArray()).GetString());
    }

    [Fact]
    public async Task tail_prints_history_then_live_events_and_stops_at_count()
    {
        var cli = NewCli();
        await cli.AppendAsync("s", """{"i":0}""");
        await cli.AppendAsync("other", """{"i":-1}""");

        var stdout = new StringWriter();
        var tail = CliApp.RunAsync(["--etcd", cli.Endpoints, "--prefix", cli.Prefix, "streams", "tail", "s", "--count", "3", "--json"],
            TextWriter.Synchronized(stdout), TextWriter.Null, new CliEnvironment { GetVariable = _ => null });
        await Poll.UntilAsync(() => stdout.ToString().Contains('\n', StringComparison.Ordinal) || tail.IsCompleted, TimeSpan.FromSeconds(20), "the tail printed the history");
        await cli.AppendAsync("s", """{"i":1}""");
        await cli.AppendAsync("s", """{"i":2}""");

        Assert.Equal(0, await tail.WaitAsync(TimeSpan.FromSeconds(30)));
        var lines = new CliResult(0, stdout.ToString(), "").JsonLines;
        Assert.Equal([0L, 1L, 2L], lines.Select(e => e.GetProperty("version").GetInt64()));
        Assert.All(lines, e => Assert.Equal("s", e.GetProperty("stream").GetString()));
    }

    [Fact]
    public async Task tail_after_a_version_skips_what_came_before()
    {
        var cli = NewCli();
        for (var i = 0; i < 3; i++) await cli.AppendAsync("s", $$"""{"i":{{i}}}""");

        var result = await cli.RunAsync("streams", "tail", "s", "--after", "1", "--count", "1", "--json");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(2, Assert.Single(result.JsonLines).GetProperty("version").GetInt64());
    }

    [Fact]
    public async Task tail_all_follows_the_global_log_after_a_position()
    {
        var cli = NewCli();
        var first = await cli.AppendAsync("a");
        await cli.AppendAsync("b");
        await cli.AppendAsync("c");

        var result = await cli.RunAsync("streams", "tail", "--all", "--after", first.GetProperty("position").GetString()!, "--count", "2", "--json");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(["b", "c"], result.JsonLines.Select(e => e.GetProperty("stream").GetString()));
    }

    [Fact]
    public async Task tail_ends_cleanly_on_ctrl_c()
    {
        var cli = NewCli();
        await cli.AppendAsync("s");
        using var ctrlC = new CancellationTokenSource();
        var stdout = new StringWriter();

        var tail = CliApp.RunAsync(["--etcd", cli.Endpoints, "--prefix", cli.Prefix, "streams", "tail", "s"],
            TextWriter.Synchronized(stdout), TextWriter.Null, new CliEnvironment { GetVariable = _ => null, CancellationToken = ctrlC.Token });
        await Poll.UntilAsync(() => stdout.ToString().Contains("s@0", StringComparison.Ordinal) || tail.IsCompleted, TimeSpan.FromSeconds(20), "the tail printed the event");
        await ctrlC.CancelAsync();

        Assert.Equal(0, await tail.WaitAsync(TimeSpan.FromSeconds(20)));
    }

    [Fact]
    public async Task tail_rejects_a_malformed_position()
    {
        var cli = NewCli();
        await cli.AppendAsync("s");

        var result = await cli.RunAsync("streams", "tail", "--all", "--after", "yesterday");

        Assert.Contains("--after", result.AssertFails(ExitCodes.Failure), StringComparison.Ordinal);
    }

    private static long[] Versions(JsonElement page) =>
        [.. page.GetProperty("events").EnumerateArray().Select(e => e.GetProperty("version").GetInt64())];
}
