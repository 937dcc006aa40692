namespace Fossil.Kv.Cli;

/// <summary>Process exit codes; scripts can rely on them.</summary>
public static class ExitCodes
{
    public const int Success = 0;

    /// <summary>Invalid input or any other failure.</summary>
    public const int Failure = 1;

    /// <summary>The command line does not parse (unknown command or option, missing or malformed argument).</summary>
    public const int Usage = 2;

    /// <summary>The stream, segment or store does not exist.</summary>
    public const int NotFound = 3;

    /// <summary>A compare-and-swap lost: wrong expected version, duplicate event id, segment in the wrong state.</summary>
    public const int Conflict = 4;

    /// <summary>etcd is unreachable or cannot serve the request now.</summary>
    public const int Unavailable = 5;

    /// <summary>Interrupted with Ctrl+C (128 + SIGINT).</summary>
    public const int Cancelled = 130;
}

/// <summary>A failure the CLI itself detects, with the exit code it ends with.</summary>
public sealed class CliException(int exitCode, string message) : Exception(message)
{
    public int ExitCode { get; } = exitCode;

    public static CliException Invalid(string message) => new(ExitCodes.Failure, message);

    public static CliException NotFound(string message) => new(ExitCodes.NotFound, message);
}
