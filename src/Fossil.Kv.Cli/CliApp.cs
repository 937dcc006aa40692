using System.CommandLine;
using System.CommandLine.Invocation;
using Fossil.Kv.Cli.Commands;
using Fossil.Kv.Etcd;

namespace Fossil.Kv.Cli;

/// <summary>
/// The <c>fossil</c> command line: builds the command tree, runs one command and turns every failure into
/// one <c>error: ...</c> line on stderr and an exit code from <see cref="ExitCodes"/>.
/// </summary>
public static class CliApp
{
    public const string EndpointsVariable = "FOSSIL_ETCD_ENDPOINTS";
    public const string DefaultEndpoint = "http://127.0.0.1:2379";
    public const string CaCertVariable = "FOSSIL_ETCD_CACERT";
    public const string CertVariable = "FOSSIL_ETCD_CERT";
    public const string KeyVariable = "FOSSIL_ETCD_KEY";
    public const string UserVariable = "FOSSIL_ETCD_USER";

    /// <summary>Read from the environment only, so a password need not appear in a process list.</summary>
    public const string PasswordVariable = "FOSSIL_ETCD_PASSWORD";

    /// <summary>Runs the CLI with <paramref name="args"/>, writing to the given writers; returns the exit code.</summary>
    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, CliEnvironment? environment = null)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        environment ??= new CliEnvironment();
        var globals = new GlobalOptions();
        var root = BuildRoot(globals, new CommandRunner(globals, stdout, stderr, environment));
        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0 && parsed.Action is ParseErrorAction)
        {
            // "fossil bogus" also reports a missing command; the unknown word is the news.
            var errors = parsed.Errors.Select(e => Readable(e.Message)).ToList();
            if (errors.Count > 1) errors.RemoveAll(m => m.StartsWith("Required command was not provided", StringComparison.Ordinal));
            await WriteErrorAsync(stderr, string.Join("; ", errors) + " (see 'fossil --help')");
            return ExitCodes.Usage;
        }
        var configuration = new InvocationConfiguration
        {
            Output = stdout,
            Error = stderr,
            EnableDefaultExceptionHandler = false,
            ProcessTerminationTimeout = null,
        };
        try
        {
            return await parsed.InvokeAsync(configuration, environment.CancellationToken);
        }
        catch (Exception e)
        {
            // The runner maps command failures itself; this catches failures of the parser's own actions.
            var (code, message) = Describe(e, []);
            await WriteErrorAsync(stderr, message);
            return code;
        }
    }

    /// <summary>
    /// System.CommandLine names the .NET type a value failed to parse as ("System.Nullable`1[System.Guid]");
    /// an operator needs to hear what was expected instead.
    /// </summary>
    internal static string Readable(string parseError)
    {
        var match = System.Text.RegularExpressions.Regex.Match(parseError,
            @"^Cannot parse argument '(?<value>.*)' for (?:option|argument|command) '(?<name>.*)' as expected type '(?<type>[^']*)'\.$");
        if (!match.Success) return parseError;
        var type = match.Groups["type"].Value;
        var expected =
            type.Contains("System.Guid", StringComparison.Ordinal) ? "a UUID such as 3f2b9c1e-8a4d-4c1b-9f0e-2d7a6b5c4e3f"
            : type.Contains("System.Int", StringComparison.Ordinal) || type.Contains("System.UInt", StringComparison.Ordinal) ? "a whole number"
            : type.Contains("System.Double", StringComparison.Ordinal) || type.Contains("System.Single", StringComparison.Ordinal) ? "a number"
            : null;
        return expected is null ? parseError : $"{match.Groups["name"].Value} must be {expected} (got '{match.Groups["value"].Value}').";
    }

    private static RootCommand BuildRoot(GlobalOptions globals, CommandRunner runner)
    {
        var root = new RootCommand("fossil: operate a Fossil.Kv event store directly through etcd.");
        root.Add(globals.Etcd);
        root.Add(globals.Prefix);
        root.Add(globals.EtcdCaCert);
        root.Add(globals.EtcdCert);
        root.Add(globals.EtcdKey);
        root.Add(globals.EtcdUser);
        root.Add(globals.Json);
        root.Add(StatusCommand.Create(runner));
        root.Add(ConfigCommands.Create(runner));
        root.Add(SegmentCommands.Create(runner));
        root.Add(NodeCommands.Create(runner));
        root.Add(StreamCommands.Create(runner));
        root.Add(SearchCommands.Search(runner));
        root.Add(SearchCommands.Entities(runner));
        root.Add(EtcdCommands.Create(runner));
        root.Add(BenchCommand.Create(runner));
        return root;
    }

    internal static async Task WriteErrorAsync(TextWriter stderr, string message)
    {
        await stderr.WriteLineAsync($"error: {OneLine(message)}");
        await stderr.FlushAsync();
    }

    /// <summary>
    /// The message on one line that a terminal shows as it is: whitespace runs become one space, and any other control
    /// character (a refused stream name may hold an escape sequence) is written as <c>\uXXXX</c> instead of being obeyed.
    /// </summary>
    internal static string OneLine(string message)
    {
        var line = new System.Text.StringBuilder(message.Length);
        var pendingSpace = false;
        foreach (var c in message)
        {
            if (char.IsWhiteSpace(c))
            {
                pendingSpace = line.Length > 0;
                continue;
            }
            if (pendingSpace) line.Append(' ');
            pendingSpace = false;
            if (char.IsControl(c)) line.Append(System.Globalization.CultureInfo.InvariantCulture, $"\\u{(int)c:X4}");
            else line.Append(c);
        }
        return line.ToString();
    }

    /// <summary>
    /// The message with its innermost cause appended when that says more: a TLS failure reads "The SSL
    /// connection could not be established, see inner exception", and the reason (an untrusted certificate) is inside.
    /// </summary>
    private static string WithCause(Exception exception)
    {
        var cause = exception.GetBaseException().Message;
        return exception.Message.Contains(cause, StringComparison.Ordinal) ? exception.Message : $"{exception.Message} ({cause})";
    }

    /// <summary>The one place where exceptions become exit codes and messages.</summary>
    internal static (int Code, string Message) Describe(Exception exception, IReadOnlyList<string> endpoints, string? segmentDirectory = null)
    {
        var where = endpoints.Count == 0 ? "" : $" at {string.Join(",", endpoints)}";
        return exception switch
        {
            CliException e => (e.ExitCode, e.Message),
            StreamNotFoundException or SegmentNotFoundException => (ExitCodes.NotFound, exception.Message),
            WrongExpectedVersionException or DuplicateEventIdException or SegmentStateException => (ExitCodes.Conflict, exception.Message),
            // The store reports a refused login as unavailable; for an operator it is a wrong setting, not an outage.
            StoreUnavailableException { InnerException: EtcdAuthenticationException or EtcdPermissionDeniedException } =>
                (ExitCodes.Failure, $"etcd refused the credentials{where}: {WithCause(exception.InnerException!)}"),
            StoreUnavailableException { InnerException: EtcdException inner } => (ExitCodes.Unavailable, $"etcd is unavailable{where}: {WithCause(inner)}"),
            StoreUnavailableException => (ExitCodes.Unavailable, exception.Message),
            FossilException => (ExitCodes.Failure, exception.Message),
            EtcdNoSpaceException => (ExitCodes.Failure,
                $"etcd is over its space quota (NOSPACE alarm){where}: writes are refused; free space with 'fossil etcd compact' and 'fossil etcd defrag', then 'fossil etcd disarm'."),
            EtcdCompactedException => (ExitCodes.Failure, $"that revision has already been compacted ({exception.Message})"),
            EtcdInvalidArgumentException or EtcdTooManyOperationsException or EtcdRequestTooLargeException
                or EtcdPermissionDeniedException or EtcdAuthenticationException => (ExitCodes.Failure, $"etcd refused the request{where}: {exception.Message}"),
            EtcdException or HttpRequestException or TimeoutException => (ExitCodes.Unavailable, $"etcd is unavailable{where}: {WithCause(exception)}"),
            OperationCanceledException => (ExitCodes.Cancelled, "cancelled"),
            // Flags and input are checked before they get here: a JSON failure is a corrupt record in etcd (/meta/...).
            System.Text.Json.JsonException => (ExitCodes.Failure, $"a record of the store in etcd{where} is not valid JSON (corrupt or written by something else): {exception.Message}"),
            // .NET's file-system messages name a path deep inside the directory ("Could not find a part of the path
            // '.../x/.tmp-...'"); the operator needs to hear which option it came from.
            IOException or UnauthorizedAccessException when segmentDirectory is not null =>
                (ExitCodes.Failure, $"--dir '{Path.GetFullPath(segmentDirectory)}' cannot be used as the segment directory (it must be a directory this user can write, or a path where one can be made): {exception.Message}"),
            IOException or UnauthorizedAccessException => (ExitCodes.Failure, exception.Message),
            _ => (ExitCodes.Failure, $"unexpected failure: {exception.GetType().Name}: {exception.Message}"),
        };
    }
}
