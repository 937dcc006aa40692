using System.Text.Json;

namespace Fossil.Kv.Cli.Tests;

/// <summary>What one in-process run of the CLI did.</summary>
public sealed record CliResult(int ExitCode, string Stdout, string Stderr)
{
    /// <summary>The single JSON document a <c>--json</c> command wrote.</summary>
    public JsonElement Json
    {
        get
        {
            Assert.True(ExitCode == 0, $"exit code {ExitCode}, stderr: {Stderr}");
            using var document = JsonDocument.Parse(Stdout);
            return document.RootElement.Clone();
        }
    }

    /// <summary>One JSON document per line (<c>streams tail --json</c>).</summary>
    public IReadOnlyList<JsonElement> JsonLines =>
        [.. Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(line =>
        {
            using var document = JsonDocument.Parse(line);
            return document.RootElement.Clone();
        })];

    /// <summary>Asserts exit code 0 and an empty stderr.</summary>
    public CliResult AssertSucceeded()
    {
        Assert.True(ExitCode == 0, $"exit code {ExitCode}, stderr: {Stderr}");
        Assert.Empty(Stderr);
        return this;
    }

    /// <summary>Asserts the failure contract: this exit code, nothing on stdout, one <c>error:</c> line on stderr.</summary>
    public string AssertFails(int exitCode)
    {
        Assert.True(ExitCode == exitCode, $"expected exit code {exitCode}, got {ExitCode}; stdout: {Stdout} stderr: {Stderr}");
        var lines = Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.StartsWith("error: ", lines[0], StringComparison.Ordinal);
        return lines[0];
    }
}

/// <summary>Runs the CLI in-process against the fixture's etcd, under one store prefix.</summary>
public sealed class Cli(IReadOnlyList<Uri> endpoints, string prefix)
{
    public string Prefix { get; } = prefix;

    public string Endpoints { get; } = string.Join(",", endpoints.Select(e => e.ToString().TrimEnd('/')));

    /// <summary>Runs <c>fossil --etcd ... --prefix ... args</c>.</summary>
    public Task<CliResult> RunAsync(params string[] args) => RunAsync(new CliEnvironment { GetVariable = _ => null }, args);

    public Task<CliResult> RunAsync(CliEnvironment environment, params string[] args) =>
        RunRawAsync(environment, ["--etcd", Endpoints, "--prefix", Prefix, .. args]);

    /// <summary>Runs exactly <paramref name="args"/> (no --etcd/--prefix added).</summary>
    public static async Task<CliResult> RunRawAsync(CliEnvironment environment, params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = await CliApp.RunAsync(args, TextWriter.Synchronized(stdout), TextWriter.Synchronized(stderr), environment);
        return new CliResult(code, stdout.ToString(), stderr.ToString());
    }

    /// <summary>Appends one event and returns the append result document.</summary>
    public async Task<JsonElement> AppendAsync(string stream, string data = """{"n":1}""", params string[] more)
    {
        var result = await RunAsync(["streams", "append", stream, "--type", "Happened", "--data", data, "--json", .. more]);
        return result.Json;
    }
}
