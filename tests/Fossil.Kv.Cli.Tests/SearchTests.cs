using Fossil.Kv.Etcd;

namespace Fossil.Kv.Cli.Tests;

public sealed class SearchTests(EtcdFixture etcd) : CliTestBase(etcd), IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("fossil-cli-search-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    /// <summary>Events with vectors and entities, written through the store (so search is tested apart from the CLI's append); one sealed segment and one active.</summary>
    private async Task<List<string>> SeedAsync(Cli cli)
    {
        var options = new FossilOptions
        {
            RootPrefix = cli.Prefix,
            Etcd = new EtcdClientOptions { Endpoints = [.. cli.Endpoints.Split(',')] },
            Segment = new SegmentOptions { Partitions = 1, Directory = _directory },
        };
        await using var store = await EventStore.ConnectAsync(options);
        EventData Event(int i) => new(null, "noted", System.Text.Encoding.UTF8.GetBytes($"{{\"i\":{i}}}"))
        {
            Vector = [i, 1, 0],
            Entities = i % 2 == 0 ? ["acme", "globex"] : ["acme"],
        };
        var first = await store.AppendToStreamAsync("docs/a", StreamState.Any, [.. Enumerable.Range(1, 4).Select(Event)]);
        await store.SealSegmentAsync(first.Segment);
        var second = await store.AppendToStreamAsync("docs/b", StreamState.Any, [.. Enumerable.Range(5, 4).Select(Event)]);
        return [first.Segment, second.Segment];
    }

    [Fact]
    public async Task search_json_lists_the_nearest_events_first()
    {
        var cli = NewCli();
        var segments = await SeedAsync(cli);
        var vectorFile = Path.Combine(_directory, "query.json");
        await File.WriteAllTextAsync(vectorFile, "[2, 1, 0]");

        var json = (await cli.RunAsync("search", "--vector", "3,1,0", "-k", "3", "--dir", _directory, "--json")).Json;
        var fromFile = (await cli.RunAsync("search", "--vector-file", vectorFile, "-k", "1", "--stream-prefix", "docs/b", "--dir", _directory, "--json")).Json;
        var table = await cli.RunAsync("search", "--vector", "3,1,0", "--entity", "globex", "--dir", _directory);

        var results = json.GetProperty("results").EnumerateArray().ToList();
        // Cosine: by angle to (3, 1, 0).
        Assert.Equal([3, 4, 5], results.Select(r => r.GetProperty("event").GetProperty("data").GetProperty("i").GetInt32()));
        Assert.Equal(0, results[0].GetProperty("distance").GetSingle(), 5);
        Assert.True(results[1].GetProperty("distance").GetSingle() <= results[2].GetProperty("distance").GetSingle());
        Assert.Equal(segments[0], results[0].GetProperty("event").GetProperty("segment").GetString());
        Assert.True(Directory.Exists(Path.Combine(_directory, segments[0])), "the sealed segment was materialized under --dir");
        var only = Assert.Single(fromFile.GetProperty("results").EnumerateArray());
        Assert.Equal(5, only.GetProperty("event").GetProperty("data").GetProperty("i").GetInt32());
        Assert.Equal(0, table.ExitCode);
        Assert.Contains("4 result(s)", table.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task entities_events_and_related_read_across_segments()
    {
        var cli = NewCli();
        await SeedAsync(cli);

        var events = (await cli.RunAsync("entities", "events", "acme", "--limit", "5", "--dir", _directory, "--json")).Json;
        var related = (await cli.RunAsync("entities", "related", "acme", "--dir", _directory, "--json")).Json;

        Assert.Equal([1, 2, 3, 4, 5], events.GetProperty("events").EnumerateArray().Select(e => e.GetProperty("data").GetProperty("i").GetInt32()));
        var edge = Assert.Single(related.GetProperty("related").EnumerateArray());
        Assert.Equal(("globex", 4L), (edge.GetProperty("entity").GetString(), edge.GetProperty("weight").GetInt64()));
    }

    [Fact]
    public async Task streams_append_with_a_vector_and_entities_feeds_search_and_entities()
    {
        var cli = NewCli();

        var table = await cli.RunAsync("streams", "append", "docs/a", "--type", "noted", "--data", """{"i":1}""",
            "--vector", "1,0.5,0", "--entities", "acme, globex");
        var second = await cli.AppendAsync("docs/a", """{"i":2}""", "--vector=-1,0,0.25", "--entity", "acme", "--entity", "acme, inc");
        var plain = await cli.AppendAsync("docs/a", """{"i":3}""");
        var nearest = (await cli.RunAsync("search", "--vector", "1,0.5,0", "-k", "3", "--dir", _directory, "--json")).Json;
        var events = (await cli.RunAsync("entities", "events", "acme", "--dir", _directory, "--json")).Json;
        var related = (await cli.RunAsync("entities", "related", "acme", "--dir", _directory, "--json")).Json;
        var read = (await cli.RunAsync("streams", "read", "docs/a", "--json")).Json.GetProperty("events").EnumerateArray().ToList();
        var config = (await cli.RunAsync("config", "get", "vector.dimension", "--json")).Json;

        table.AssertSucceeded();
        Assert.Contains("3 dimensions", table.Stdout, StringComparison.Ordinal);
        Assert.Contains("acme, globex", table.Stdout, StringComparison.Ordinal);
        Assert.Equal(1, second.GetProperty("firstVersion").GetInt64());
        Assert.Equal(2, plain.GetProperty("firstVersion").GetInt64());
        // Only the two events with vectors are found, the one appended with the query's own vector first.
        var results = nearest.GetProperty("results").EnumerateArray().ToList();
        Assert.Equal([1, 2], results.Select(r => r.GetProperty("event").GetProperty("data").GetProperty("i").GetInt32()));
        Assert.Equal(0, results[0].GetProperty("distance").GetSingle(), 5);
        Assert.Equal([1, 2], events.GetProperty("events").EnumerateArray().Select(e => e.GetProperty("data").GetProperty("i").GetInt32()));
        Assert.Equal(["acme, inc", "globex"], related.GetProperty("related").EnumerateArray().Select(r => r.GetProperty("entity").GetString()).Order(StringComparer.Ordinal));
        Assert.Equal(["acme", "globex"], read[0].GetProperty("entities").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(["acme", "acme, inc"], read[1].GetProperty("entities").EnumerateArray().Select(e => e.GetString()));
        Assert.False(read[2].TryGetProperty("entities", out _));
        Assert.Equal(3, config.GetProperty("vector.dimension").GetInt32());
    }

    [Theory]
    [InlineData("dimension", "search", "--vector", "1,2")]
    [InlineData("not a number", "search", "--vector", "1,x,3")]
    [InlineData("component 1 is empty", "search", "--vector", "1,,3")]
    [InlineData("component 2 is empty", "search", "--vector", "1,3,")]
    [InlineData("k must", "search", "--vector", "1,2,3", "-k", "0")]
    [InlineData("is before from", "search", "--vector", "1,2,3", "--from", "2026-11-22T10:00:00Z", "--to", "2026-11-22T09:00:00Z")]
    [InlineData("--from", "search", "--vector", "1,2,3", "--from", "yesterday")]
    [InlineData("entity", "entities", "events", " ")]
    [InlineData("limit", "entities", "related", "acme", "--limit", "0")]
    public async Task bad_search_input_fails_with_one_line_naming_it(string problem, params string[] args)
    {
        var cli = NewCli();
        await SeedAsync(cli);

        var line = (await cli.RunAsync([.. args, "--dir", _directory])).AssertFails(ExitCodes.Failure);

        Assert.Contains(problem, line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task search_needs_exactly_one_vector_source()
    {
        var result = await NewCli().RunAsync("search", "-k", "3");

        Assert.Contains("--vector", result.AssertFails(ExitCodes.Usage), StringComparison.Ordinal);
    }
}
