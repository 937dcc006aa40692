using System.CommandLine;
using System.Text;
using System.Text.Json;
using Fossil.Kv.Cli.Output;
using Fossil.Kv.Etcd;
using Fossil.Kv.Keyspace;
using Google.Protobuf;
using Spectre.Console;

namespace Fossil.Kv.Cli;

/// <summary>One command's invocation: its global options, its output and its (lazily opened) etcd client and store.</summary>
internal sealed class CliContext : IAsyncDisposable
{
    // Short deadlines: an operator waiting on a dead etcd should hear about it in seconds, not hang.
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan MaxRetryDuration = TimeSpan.FromSeconds(2);

    private EtcdClient? _etcd;
    private EventStore? _store;

    private CliContext(ParseResult parseResult, TextWriter stdout, TextWriter stderr, CliEnvironment environment, CancellationToken cancellationToken)
    {
        ParseResult = parseResult;
        Stdout = stdout;
        Stderr = stderr;
        Environment = environment;
        CancellationToken = cancellationToken;
        Console = ConsoleOutput.Create(stdout, environment.IsTerminal);
    }

    public ParseResult ParseResult { get; }

    public TextWriter Stdout { get; }

    public TextWriter Stderr { get; }

    public CliEnvironment Environment { get; }

    public CancellationToken CancellationToken { get; }

    /// <summary>Tables and text for people; unused under <c>--json</c>.</summary>
    public IAnsiConsole Console { get; }

    public bool Json { get; private init; }

    public IReadOnlyList<string> Endpoints { get; private init; } = [];

    /// <summary>The root prefix as given (empty for none).</summary>
    public string Prefix { get; private init; } = "";

    public KeyLayout Keys { get; private init; } = new();

    public static CliContext Create(
        ParseResult parseResult, GlobalOptions globals, TextWriter stdout, TextWriter stderr, CliEnvironment environment, CancellationToken cancellationToken)
    {
        var given = parseResult.GetValue(globals.Etcd);
        // An empty --etcd is a mistake (an unset shell variable), not a request for the default endpoint.
        if (given is not null && string.IsNullOrWhiteSpace(given)) throw CliException.Invalid($"--etcd names no endpoint (got '{given}').");
        var endpointsText = given ?? environment.GetVariable(CliApp.EndpointsVariable);
        if (string.IsNullOrWhiteSpace(endpointsText)) endpointsText = CliApp.DefaultEndpoint;
        var endpoints = endpointsText.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (endpoints.Length == 0) throw CliException.Invalid($"--etcd names no endpoint (got '{endpointsText}').");
        foreach (var endpoint in endpoints)
        {
            var withScheme = endpoint.Contains("://", StringComparison.Ordinal) ? endpoint : "http://" + endpoint;
            if (!Uri.TryCreate(withScheme, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || uri.Host.Length == 0)
                throw CliException.Invalid($"'{endpoint}' is not an etcd client URL (expected e.g. {CliApp.DefaultEndpoint}).");
        }
        var prefix = parseResult.GetValue(globals.Prefix) ?? "";
        // The rule the node applies to Fossil:RootPrefix: a store nested in another's /meta/ or /s/ is never right.
        if (KeyLayout.RootPrefixProblem(prefix) is { } prefixProblem) throw CliException.Invalid($"--prefix {prefixProblem}");
        return new CliContext(parseResult, stdout, stderr, environment, cancellationToken)
        {
            Json = parseResult.GetValue(globals.Json),
            Endpoints = endpoints,
            Prefix = prefix,
            Keys = new KeyLayout(prefix),
            Security = EtcdSecurity.From(parseResult, globals, environment),
        };
    }

    /// <summary>TLS files and etcd credentials, from the options or their environment variables.</summary>
    private EtcdSecurity Security { get; init; } = new(null, null, null, null, null);

    /// <summary>Where this machine keeps materialized segments (<c>segment.directory</c>), for commands that touch local files.</summary>
    public string SegmentDirectory
    {
        get;
        set
        {
            field = value;
            TouchesSegmentDirectory = true;
        }
    } = "./data/segments";

    /// <summary>The command works on local segment files (it took <c>--dir</c>): a file-system failure is about that directory.</summary>
    public bool TouchesSegmentDirectory { get; private set; }

    public FossilOptions StoreOptions() => new()
    {
        RootPrefix = Prefix.Length == 0 ? null : Prefix,
        Segment = new SegmentOptions { Directory = SegmentDirectory },
        Etcd = new EtcdClientOptions
        {
            Endpoints = [.. Endpoints],
            ConnectTimeout = ConnectTimeout,
            CallTimeout = CallTimeout,
            Retry = new EtcdRetryOptions { MaxRetryDuration = RetryBudget },
            CaCertificateFile = Security.CaFile,
            ClientCertificateFile = Security.CertFile,
            ClientKeyFile = Security.KeyFile,
            Username = Security.User,
            Password = Security.Password,
        },
    };

    /// <summary>
    /// How long a failing call keeps being retried. With several endpoints it outlasts one call timeout, so a
    /// member that hangs (paused, half-dead, blackholed) costs one timeout and the call moves on to the next
    /// member, as etcdctl's balancer would; with one endpoint an unreachable etcd still fails within ~3 s.
    /// </summary>
    private TimeSpan RetryBudget => Endpoints.Count > 1 ? CallTimeout + MaxRetryDuration : MaxRetryDuration;

    public EtcdClient Etcd => _etcd ??= new EtcdClient(StoreOptions().Etcd);

    /// <summary>
    /// The store at <see cref="Prefix"/>. With <paramref name="mustExist"/> a missing <c>/meta/config</c> is
    /// a not-found error (most likely a wrong <c>--prefix</c>) instead of seeding a new store.
    /// </summary>
    public async Task<EventStore> OpenStoreAsync(bool mustExist = true)
    {
        if (_store is not null) return _store;
        if (mustExist) await ReadConfigAsync();
        return _store = new EventStore(Etcd, StoreOptions());
    }

    /// <summary>The raw <c>/meta/config</c> value; not found when the store has never been initialized.</summary>
    public async Task<ReadOnlyMemory<byte>> ReadConfigAsync()
    {
        var response = await Etcd.GetAsync(ByteString.CopyFrom(Keys.Config), CancellationToken);
        if (response.Kvs.Count == 0) throw NoStore();
        return response.Kvs[0].Value.Memory;
    }

    public CliException NoStore() =>
        new(ExitCodes.NotFound, $"no Fossil.Kv store under prefix '{(Prefix.Length == 0 ? "(none)" : Prefix)}' at {string.Join(",", Endpoints)} (no {Encoding.UTF8.GetString(Keys.Config)}); check --prefix");

    /// <summary>Writes one JSON document (one line) to stdout.</summary>
    public void WriteJson(Action<Utf8JsonWriter> write) => JsonOutput.Write(Stdout, write);

    /// <summary>
    /// Asks before a destructive step (<paramref name="action"/>, e.g. "compact etcd before revision 42"):
    /// <c>--yes</c> skips the question; without a terminal to ask on the command fails, so a script never
    /// blocks on a prompt.
    /// </summary>
    public async Task ConfirmAsync(string action, bool yes)
    {
        if (yes) return;
        if (!Environment.CanPrompt)
            throw CliException.Invalid($"refusing to {action} without confirmation: there is no terminal to ask on; pass --yes.");
        await Stderr.WriteAsync($"About to {action}. Continue? [y/N] ");
        await Stderr.FlushAsync(CancellationToken);
        var answer = (await Environment.Input.ReadLineAsync(CancellationToken))?.Trim();
        if (answer is not ("y" or "Y" or "yes" or "YES" or "Yes"))
            throw CliException.Invalid("not confirmed; nothing was done.");
    }

    public async ValueTask DisposeAsync()
    {
        if (_store is not null) await _store.DisposeAsync();
        if (_etcd is not null) await _etcd.DisposeAsync();
    }
}

/// <summary>How the CLI reaches a secured etcd; every file and pairing is checked before any connection is tried.</summary>
internal sealed record EtcdSecurity(string? CaFile, string? CertFile, string? KeyFile, string? User, string? Password)
{
    public static EtcdSecurity From(ParseResult parseResult, GlobalOptions globals, CliEnvironment environment)
    {
        string? Value(Option<string?> option, string variable) =>
            parseResult.GetValue(option) is { Length: > 0 } given ? given : environment.GetVariable(variable) is { Length: > 0 } set ? set : null;
        var ca = ExistingFile(Value(globals.EtcdCaCert, CliApp.CaCertVariable), "--etcd-cacert");
        var cert = ExistingFile(Value(globals.EtcdCert, CliApp.CertVariable), "--etcd-cert");
        var key = ExistingFile(Value(globals.EtcdKey, CliApp.KeyVariable), "--etcd-key");
        if ((cert is null) != (key is null))
            throw CliException.Invalid("--etcd-cert and --etcd-key go together: give both the client certificate and its key.");
        var user = Value(globals.EtcdUser, CliApp.UserVariable);
        var password = environment.GetVariable(CliApp.PasswordVariable) is { Length: > 0 } fromVariable ? fromVariable : null;
        if (user?.IndexOf(':', StringComparison.Ordinal) is >= 0 and var colon)
        {
            password = user[(colon + 1)..];
            user = user[..colon];
        }
        if (user is { Length: 0 }) throw CliException.Invalid("--etcd-user names no user (expected NAME or NAME:PASSWORD).");
        if (password is not null && user is null)
            throw CliException.Invalid($"${CliApp.PasswordVariable} is set but no etcd user is given; pass --etcd-user NAME.");
        return new EtcdSecurity(ca, cert, key, user, password);
    }

    private static string? ExistingFile(string? path, string option) =>
        path is null || File.Exists(path) ? path : throw CliException.Invalid($"{option}: file '{path}' does not exist.");
}
