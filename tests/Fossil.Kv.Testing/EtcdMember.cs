using System.Diagnostics;
using System.Globalization;

namespace Fossil.Kv.Testing;

/// <summary>
/// One etcd process on loopback ports with its data in a temporary directory. Members can be killed,
/// paused and restarted to inject faults. A watchdog shell kills the member if the test host dies,
/// so no etcd outlives the test run even when the run itself is killed.
/// </summary>
public sealed class EtcdMember : IAsyncDisposable
{
    private static readonly HttpClient Health = new() { Timeout = TimeSpan.FromSeconds(2) };
    private readonly string _initialCluster;
    private readonly string _clusterToken;
    private Process? _process;
    private readonly IReadOnlyList<string> _extraArguments;
    private bool _paused;

    internal EtcdMember(string name, int clientPort, int peerPort, string dataDirectory, string initialCluster, string clusterToken, IReadOnlyList<string>? extraArguments = null)
    {
        _extraArguments = extraArguments ?? [];
        Name = name;
        ClientPort = clientPort;
        PeerPort = peerPort;
        DataDirectory = dataDirectory;
        _initialCluster = initialCluster;
        _clusterToken = clusterToken;
    }

    public string Name { get; }

    public int ClientPort { get; }

    public int PeerPort { get; }

    public Uri ClientUrl => new($"http://127.0.0.1:{ClientPort}");

    internal string PeerUrl => $"http://127.0.0.1:{PeerPort}";

    public string DataDirectory { get; }

    public string LogPath => DataDirectory + ".log";

    /// <summary>The etcd process id while it runs; null after it was killed or stopped.</summary>
    public int? ProcessId => _process is { HasExited: false } p ? p.Id : null;

    public bool IsRunning => ProcessId is not null;

    internal void Start()
    {
        if (IsRunning) throw new InvalidOperationException($"etcd member {Name} is already running.");
        var args = string.Join(' ',
            $"--name {Name}",
            $"--data-dir '{DataDirectory}'",
            $"--listen-client-urls {ClientUrl.AbsoluteUri.TrimEnd('/')}",
            $"--advertise-client-urls {ClientUrl.AbsoluteUri.TrimEnd('/')}",
            $"--listen-peer-urls {PeerUrl}",
            $"--initial-advertise-peer-urls {PeerUrl}",
            $"--initial-cluster {_initialCluster}",
            $"--initial-cluster-token {_clusterToken}",
            "--initial-cluster-state new",
            "--logger zap --log-outputs stderr --log-level warn",
            string.Join(' ', _extraArguments.Select(a => $"'{a}'")));
        // exec keeps the pid, so signals reach etcd itself rather than a shell.
        var start = new ProcessStartInfo("/bin/sh")
        {
            ArgumentList = { "-c", $"exec '{EtcdBinaries.Etcd}' {args} >>'{LogPath}' 2>&1" },
            UseShellExecute = false,
        };
        _process = Process.Start(start) ?? throw new InvalidOperationException("Could not start etcd.");
        _paused = false;
        StartWatchdog(_process.Id);
        ProcessRegistry.Track(this);
    }

    internal static void StartWatchdog(int etcdPid)
    {
        var self = Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        var child = etcdPid.ToString(CultureInfo.InvariantCulture);
        var script = $"while kill -0 {self} 2>/dev/null && kill -0 {child} 2>/dev/null; do sleep 1; done; kill -9 {child} 2>/dev/null";
        var watchdog = new ProcessStartInfo("/bin/sh") { ArgumentList = { "-c", script }, UseShellExecute = false };
        using var _ = Process.Start(watchdog);
    }

    /// <summary>True once the member answers its health endpoint (it has a leader and serves reads).</summary>
    public async Task<bool> IsHealthyAsync()
    {
        if (!IsRunning || _paused) return false;
        try
        {
            var body = await Health.GetStringAsync(new Uri(ClientUrl, "/health")).ConfigureAwait(false);
            return body.Contains("\"health\":\"true\"", StringComparison.Ordinal);
        }
        catch (HttpRequestException) { return false; }
        catch (TaskCanceledException) { return false; }
    }

    /// <summary>Waits until the member serves; fails early with etcd's log if the process exited.</summary>
    public Task WaitHealthyAsync(TimeSpan timeout) =>
        Poll.UntilAsync(async () =>
        {
            if (_process is { HasExited: true }) throw new EtcdStartException(this);
            return await IsHealthyAsync().ConfigureAwait(false);
        }, timeout, $"etcd member {Name} at {ClientUrl} is healthy");

    /// <summary>SIGKILL: the member dies with no chance to flush or step down.</summary>
    public void Kill()
    {
        if (_process is null) return;
        if (!_process.HasExited)
        {
            Signals.Send(_process.Id, Signals.Kill);
            _process.WaitForExit();
        }
        _process.Dispose();
        _process = null;
        _paused = false;
    }

    /// <summary>SIGSTOP: the member freezes with its connections open, like a long GC pause or a hung disk.</summary>
    public void Pause()
    {
        var pid = ProcessId ?? throw new InvalidOperationException($"etcd member {Name} is not running.");
        Signals.Send(pid, Signals.Stop);
        _paused = true;
        // kill() returns once the signal is queued; a test that acts next must meet a stopped member.
        Signals.WaitUntilStopped(pid, TimeSpan.FromSeconds(5));
    }

    /// <summary>SIGCONT: a paused member carries on where it stopped.</summary>
    public void Resume()
    {
        var pid = ProcessId ?? throw new InvalidOperationException($"etcd member {Name} is not running.");
        Signals.Send(pid, Signals.Continue);
        _paused = false;
    }

    /// <summary>Starts a killed member again on its old data directory and ports.</summary>
    public async Task RestartAsync(TimeSpan? timeout = null)
    {
        Kill();
        Start();
        await WaitHealthyAsync(timeout ?? TimeSpan.FromSeconds(30)).ConfigureAwait(false);
    }

    internal string ReadLogTail(int maxChars = 2000)
    {
        try
        {
            var log = File.ReadAllText(LogPath);
            return log.Length <= maxChars ? log : log[^maxChars..];
        }
        catch (IOException) { return ""; }
    }

    public ValueTask DisposeAsync()
    {
        Kill();
        ProcessRegistry.Untrack(this);
        return ValueTask.CompletedTask;
    }
}

public sealed class EtcdStartException(EtcdMember member)
    : Exception($"etcd member {member.Name} exited while starting (client port {member.ClientPort}). Log tail:\n{member.ReadLogTail()}");
