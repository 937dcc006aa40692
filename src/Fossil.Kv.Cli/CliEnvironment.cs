namespace Fossil.Kv.Cli;

/// <summary>What the CLI takes from its process: environment variables, the terminal and Ctrl+C. Tests supply their own.</summary>
public sealed class CliEnvironment
{
    /// <summary>Environment variable lookup (<c>FOSSIL_ETCD_ENDPOINTS</c>).</summary>
    public Func<string, string?> GetVariable { get; init; } = Environment.GetEnvironmentVariable;

    /// <summary>Where answers to confirmation questions come from.</summary>
    public TextReader Input { get; init; } = TextReader.Null;

    /// <summary>True when a person can answer a confirmation question; otherwise destructive commands need <c>--yes</c>.</summary>
    public bool CanPrompt { get; init; }

    /// <summary>True when stdout is a terminal (live progress, colours).</summary>
    public bool IsTerminal { get; init; }

    /// <summary>Cancelled on Ctrl+C.</summary>
    public CancellationToken CancellationToken { get; init; }
}
