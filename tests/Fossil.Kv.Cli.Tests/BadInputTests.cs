namespace Fossil.Kv.Cli.Tests;

/// <summary>
/// SPEC §5–§6 through the CLI: every bad command line ends with the exit code for its kind of failure,
/// nothing on stdout and one <c>error:</c> line on stderr naming the problem, and leaves etcd exactly as
/// it was: no key under the store's prefix written, and on a fresh prefix no store seeded.
/// </summary>
public sealed class BadInputTests(EtcdFixture etcd) : CliTestBase(etcd)
{
    /// <summary>One bad command line. <c>{s}</c> becomes a fresh stream name, <c>{id}</c> a fresh UUID, <c>{file}</c> a file of 1.6 MB of JSON.</summary>
    public sealed record BadCommand(int ExitCode, string[] Args, params string[] Mentions)
    {
        /// <summary>Run on a prefix that holds no store, which must still hold nothing afterwards.</summary>
        public bool Fresh { get; init; }

        /// <summary>A command run before, whose result the bad one must leave alone.</summary>
        public string[]? Setup { get; init; }

        public IReadOnlyDictionary<string, string> Variables { get; init; } = new Dictionary<string, string>();
    }

    private const string Unknown = "20200101T000000Z-p00-g000";

    private static BadCommand Invalid(string[] args, params string[] mentions) => new(ExitCodes.Failure, args, mentions);

    private static BadCommand Append(string[] more, params string[] mentions) =>
        Invalid(["streams", "append", "{s}", "--type", "T", .. more], mentions);

    private static BadCommand Set(string[] assignments, params string[] mentions) => Invalid(["config", "set", .. assignments], mentions);

    public static readonly IReadOnlyDictionary<string, BadCommand> Commands = new Dictionary<string, BadCommand>
    {
        // Stream names, checked before a store is opened or seeded.
        ["append to an empty stream name"] = Invalid(["streams", "append", "", "--type", "T"], "must not be empty") with { Fresh = true },
        ["append to a 257-byte stream name"] = Invalid(["streams", "append", new string('n', 257), "--type", "T"], "257 bytes", "limit is 256") with { Fresh = true },
        ["append to a stream name with a control character"] = Invalid(["streams", "append", "a\u0001b", "--type", "T"], "control characters", "U+0001"),
        ["append to a stream name with an escape sequence"] = Invalid(["streams", "append", "a\u001b[31mb", "--type", "T"], "control characters", "a\\u001B[31mb"),
        ["append to a stream name that was not UTF-8"] = Invalid(["streams", "append", "bad\uFFFDname", "--type", "T"], "not valid UTF-8") with { Fresh = true },
        ["read an empty stream name"] = Invalid(["streams", "read", ""], "must not be empty"),
        ["info of a stream name with a newline"] = Invalid(["streams", "info", "a\nb"], "control characters"),
        ["tail a 257-byte stream name"] = Invalid(["streams", "tail", new string('n', 257), "--count", "1"], "257 bytes"),

        // Appends.
        ["expected version -2"] = Append(["--expected=-2"], "--expected must be", "'-2'"),
        ["expected version abc"] = Append(["--expected", "abc"], "--expected must be", "'abc'"),
        ["expected version 1.5"] = Append(["--expected", "1.5"], "--expected must be", "'1.5'"),
        ["data that is not JSON"] = Append(["--data", "{\"n\":"], "--data is not valid JSON") with { Fresh = true },
        ["metadata that is not an object"] = Append(["--metadata", "[1]"], "--metadata must be a JSON object"),
        ["both data and a data file"] = Append(["--data", "1", "--data-file", "x.json"], "--data or --data-file, not both"),
        ["a data file that does not exist"] = Append(["--data-file", "/nonexistent/data.json"], "'/nonexistent/data.json' does not exist"),
        ["empty type"] = Invalid(["streams", "append", "{s}", "--type", ""], "--type must not be empty"),
        ["an event over the etcd request limit"] = Append(["--data-file", "{file}"], "at most 1507328 bytes"),
        // Vectors and entities: the CLI parses the numbers; finiteness, the dimension and entity names are the store's rules and messages.
        ["a vector with a word in it"] = Append(["--vector", "1,x,3"], "--vector", "component 1 ('x') is not a number") with { Fresh = true },
        ["an empty vector"] = Append(["--vector", ""], "--vector has no numbers") with { Fresh = true },
        ["a vector with two commas in a row"] = Append(["--vector", "1,,3"], "--vector", "component 1 is empty") with { Fresh = true },
        ["a vector with a trailing comma"] = Append(["--vector", "1,2,"], "component 2 is empty") with { Fresh = true },
        ["a vector with NaN"] = Append(["--vector", "1,NaN,3"], "Event 0 of the append to", "non-finite vector value (NaN) at index 1"),
        ["a vector with a value beyond float"] = Append(["--vector=1e39,0,0"], "non-finite vector value", "at index 0"),
        ["an all-zero vector under cosine"] = Append(["--vector", "0,0,0"], "all-zero vector", "vector.metric"),
        ["a vector of the wrong dimension"] = Append(["--vector", "1,2"], "vector of dimension 2", "vector.dimension is 3") with
        {
            Setup = ["streams", "append", "{s}", "--type", "T", "--vector", "1,2,3"],
        },
        ["an empty entity list"] = Append(["--entities", ""], "invalid entity name", "not blank"),
        ["a blank entity in a list"] = Append(["--entities", "acme, ,globex"], "invalid entity name", "not blank"),
        ["an entity with a control character"] = Append(["--entity", "a\u0001b"], "invalid entity name", "control characters"),
        ["an entity over 256 bytes"] = Append(["--entity", new string('e', 257)], "invalid entity name", "256 bytes"),
        ["id that is not a UUID"] = new(ExitCodes.Usage, ["streams", "append", "{s}", "--type", "T", "--id", "order-1"], "order-1"),
        ["the nil UUID as --id"] = new(ExitCodes.Failure, ["streams", "append", "{s}", "--type", "T", "--id", "00000000-0000-0000-0000-000000000000"], "--id", "nil UUID"),
        ["a wrong expected version"] = new(ExitCodes.Conflict, ["streams", "append", "{s}", "--type", "T", "--expected", "5"], "expected 5", "no_stream"),
        ["a written id resent with other content"] = new BadCommand(ExitCodes.Conflict, ["streams", "append", "{s}", "--type", "T", "--id", "{id}", "--data", "2"],
            "{id}", "already in stream") with { Setup = ["streams", "append", "{s}", "--type", "T", "--id", "{id}", "--data", "1"] },

        // Reads and tails.
        ["read with limit 0"] = Invalid(["streams", "read", "{s}", "--limit", "0"], "--limit must be at least 1"),
        ["read with a negative limit"] = Invalid(["streams", "read", "{s}", "--limit=-5"], "--limit must be at least 1", "-5"),
        ["read with a limit that is not a number"] = new(ExitCodes.Usage, ["streams", "read", "{s}", "--limit", "many"], "many"),
        ["read from a negative version"] = Invalid(["streams", "read", "{s}", "--from=-3"], "--from must be a version number", "-3"),
        ["read a stream that does not exist"] = new(ExitCodes.NotFound, ["streams", "read", "{s}"], "does not exist"),
        ["tail with count 0"] = Invalid(["streams", "tail", "{s}", "--count", "0"], "--count must be at least 1"),
        ["tail after a version that is not one"] = Invalid(["streams", "tail", "{s}", "--after", "latest"], "--after must be a stream version", "'latest'"),
        ["tail all after a position that is not one"] = Invalid(["streams", "tail", "--all", "--after", "yesterday"], "--after must be a global position", "'yesterday'"),

        // Segments.
        ["show a malformed segment id"] = Invalid(["segments", "show", "last-week"], "'last-week' is not a segment id"),
        ["seal a malformed segment id"] = Invalid(["segments", "seal", "p00"], "'p00' is not a segment id"),
        ["evict a malformed segment id"] = Invalid(["segments", "evict", "20200101T000000Z-p00", "--yes"], "is not a segment id"),
        ["verify a path instead of a segment id"] = Invalid(["segments", "verify", "../../etc"], "'../../etc' is not a segment id"),
        ["show an unknown segment"] = new(ExitCodes.NotFound, ["segments", "show", Unknown], Unknown, "does not exist"),
        ["seal an unknown segment"] = new(ExitCodes.NotFound, ["segments", "seal", Unknown], Unknown, "does not exist"),
        ["evict an unknown segment"] = new(ExitCodes.NotFound, ["segments", "evict", Unknown, "--yes"], Unknown, "does not exist"),
        ["list segments of an unknown status"] = new(ExitCodes.Usage, ["segments", "list", "--status", "frozen"], "frozen"),
        ["list dropped segments"] = Invalid(["segments", "list", "--status", "dropped"], "--status dropped", "active, sealed and expiring") with { Fresh = true },

        // Settings: validated before etcd is touched, all or nothing.
        ["set an unknown setting"] = Set(["segment.colour=red"], "unknown setting 'segment.colour'") with { Fresh = true },
        ["set a duration that is not one"] = Set(["segment.duration=soon"], "segment.duration must be a duration", "'soon'"),
        ["set zero partitions"] = Set(["segment.partitions=0"], "segment.partitions", "from 1 to 60", "'0'") with { Fresh = true },
        ["set 61 partitions"] = Set(["segment.partitions=61"], "from 1 to 60", "'61'"),
        ["set a negative max size"] = Set(["segment.max_size=-1GB"], "segment.max_size must be a size", "'-1GB'"),
        ["set something that is not name=value"] = Set(["segment.duration"], "is not name=value"),
        ["set one setting twice"] = Set(["segment.duration=1h", "segment.duration=2h"], "'segment.duration' is set more than once"),
        ["set one good and one bad setting"] = Set(["segment.retention=7d", "hnsw.m=1"], "hnsw.m", "from 2 to 128"),
        ["get an unknown setting"] = Invalid(["config", "get", "segment.colour"], "unknown setting 'segment.colour'"),

        // Reaching etcd.
        ["a CA file that does not exist"] = Invalid(["--etcd-cacert", "/nonexistent/ca.pem", "status"], "--etcd-cacert", "'/nonexistent/ca.pem' does not exist"),
        ["a client certificate without its key"] = Invalid(["--etcd-cert", "/etc/hostname", "status"], "--etcd-cert and --etcd-key go together"),
        ["an etcd user with no name"] = Invalid(["--etcd-user", ":secret", "status"], "names no user"),
        ["an etcd password without a user"] = Invalid(["status"], "FOSSIL_ETCD_PASSWORD is set but no etcd user") with
        {
            Variables = new Dictionary<string, string> { [CliApp.PasswordVariable] = "secret" },
        },
        ["an unknown command"] = new(ExitCodes.Usage, ["streams", "delete", "{s}"], "delete"),
    };

    public static TheoryData<string> CommandNames => [.. Commands.Keys];

    [Fact]
    public void the_table_covers_at_least_thirty_cases() => Assert.True(Commands.Count >= 30, $"{Commands.Count} cases");

    [Theory]
    [MemberData(nameof(CommandNames))]
    public async Task bad_command_lines_fail_with_one_clear_line_and_write_nothing(string name)
    {
        var command = Commands[name];
        var cli = NewCli("bad-input");
        var environment = new CliEnvironment { GetVariable = variable => command.Variables.GetValueOrDefault(variable) };
        var stream = $"s-{Guid.NewGuid():N}";
        var id = Guid.NewGuid().ToString();
        using var big = command.Args.Contains("{file}") ? new TempFile($"\"{new string('x', 1_600_000)}\"") : null;
        string[] Fill(string[] args) => [.. args.Select(a => a.Replace("{s}", stream, StringComparison.Ordinal)
            .Replace("{id}", id, StringComparison.Ordinal).Replace("{file}", big?.Path, StringComparison.Ordinal))];
        if (!command.Fresh)
        {
            await cli.AppendAsync($"seed-{Guid.NewGuid():N}");
            if (command.Setup is { } setup) Assert.Equal(0, (await cli.RunAsync(Fill(setup))).ExitCode);
        }
        var before = await KeyspaceSnapshot.TakeAsync(Etcd.Endpoints, cli.Prefix + "/");

        var result = await cli.RunAsync(environment, Fill(command.Args));

        var error = result.AssertFails(command.ExitCode);
        Assert.Empty(result.Stdout);
        Assert.False(result.Stderr.Any(c => char.IsControl(c) && c is not '\n' and not '\r'), "the error line holds a raw control character a terminal would obey");
        foreach (var mention in command.Mentions) Assert.Contains(mention.Replace("{id}", id, StringComparison.Ordinal), error, StringComparison.Ordinal);
        var after = await KeyspaceSnapshot.TakeAsync(Etcd.Endpoints, cli.Prefix + "/");
        var changes = before.ChangesTo(after);
        Assert.True(changes.Count == 0, $"the command changed etcd: {string.Join(", ", changes)}");
        if (command.Fresh) Assert.Equal(0, after.Count);
    }

    private sealed class TempFile : IDisposable
    {
        public TempFile(string content)
        {
            Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"fossil-cli-{Guid.NewGuid():N}.json");
            File.WriteAllText(Path, content);
        }

        public string Path { get; }

        public void Dispose() => File.Delete(Path);
    }
}
