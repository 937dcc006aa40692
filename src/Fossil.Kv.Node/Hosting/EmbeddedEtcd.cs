using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;

namespace Fossil.Kv.Node.Hosting;

/// <summary>
/// Starts and supervises a single local etcd member for a node that has no etcd endpoints configured, so
/// the run command works on a fresh machine. A member that exits while the node runs is started again
/// (with a growing pause); it stops with the node, and a watchdog shell kills it if the node dies
/// without stopping it. A data directory whose member belongs to another live node is refused.
/// </summary>
public sealed partial class EmbeddedEtcd : IAsyncDisposable
{
    private static readonly HttpClient HealthClient = new() { Timeout = TimeSpan.FromSeconds(2) };
    private static readonly TimeSpan MaxRestartPause = TimeSpan.FromSeconds(30);
    private readonly EmbeddedEtcdOptions _options;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private Process? _process;
    private string _executable = "";
    private string _dataDirectory = "";

    private EmbeddedEtcd(EmbeddedEtcdOptions options, ILogger logger)
    {
        _options = options;
        _logger = logger;
    }

    public Uri ClientUrl => new($"http://127.0.0.1:{_options.ClientPort}");

    public static async Task<EmbeddedEtcd> StartAsync(EmbeddedEtcdOptions options, ILogger logger, CancellationToken cancellationToken = default)
    {
        var etcd = new EmbeddedEtcd(options, logger);
        await etcd.StartAsync(cancellationToken).ConfigureAwait(false);
        return etcd;
    }

    private async Task StartAsync(CancellationToken cancellationToken)
    {
        _executable = _options.Executable ?? FindOnPath("etcd") ?? throw new InvalidOperationException(
            "No etcd endpoints are configured (Fossil:Etcd:Endpoints) and no 'etcd' binary is on PATH to start an embedded one. " +
            "Install it with 'scripts/etcd.sh install' or configure Fossil__Etcd__Endpoints.");
        _dataDirectory = Path.GetFullPath(_options.DataDirectory);
        Directory.CreateDirectory(Path.GetDirectoryName(_dataDirectory)!);
        StopLeftoverMember(_dataDirectory);
        EnsurePortFree(_options.ClientPort, "client");
        EnsurePortFree(_options.PeerPort, "peer");
        Launch();
        await WaitHealthyAsync(_process!, cancellationToken).ConfigureAwait(false);
        var clientUrl = ClientUrl.AbsoluteUri.TrimEnd('/');
        LogStarted(_logger, clientUrl, _dataDirectory);
    }

    private void Launch()
    {
        var peerUrl = $"http://127.0.0.1:{_options.PeerPort}";
        var clientUrl = ClientUrl.AbsoluteUri.TrimEnd('/');
        var start = new ProcessStartInfo(_executable)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            ArgumentList =
            {
                "--name", "fossil", "--data-dir", _dataDirectory,
                "--listen-client-urls", clientUrl, "--advertise-client-urls", clientUrl,
                "--listen-peer-urls", peerUrl, "--initial-advertise-peer-urls", peerUrl,
                "--initial-cluster", $"fossil={peerUrl}",
                "--quota-backend-bytes", _options.QuotaBackendBytes.ToString(CultureInfo.InvariantCulture),
                "--auto-compaction-mode", "periodic", "--auto-compaction-retention", _options.AutoCompactionRetention,
                "--logger", "zap", "--log-outputs", "stderr", "--log-level", "warn",
            },
        };
        var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {_executable}.");
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) LogEtcdOutput(_logger, e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) LogEtcdOutput(_logger, e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        // "etcd pid, owner node pid": a second node on the same data directory can tell a live owner from a dead one.
        var pidFile = PidFile(_dataDirectory);
        File.WriteAllText(pidFile + ".tmp", FormattableString.Invariant($"{process.Id} {Environment.ProcessId}"));
        File.Move(pidFile + ".tmp", pidFile, overwrite: true); // whole or absent to a reader, never half written
        StartWatchdog(process.Id);
        _process = process;
        _ = SuperviseAsync(process);
    }

    private async Task WaitHealthyAsync(Process process, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.StartTimeout);
        while (!await IsHealthyAsync().ConfigureAwait(false))
        {
            if (process.HasExited)
                throw new InvalidOperationException($"The embedded etcd exited with code {process.ExitCode} while starting; see the log above.");
            if (timeout.IsCancellationRequested)
                throw new TimeoutException($"The embedded etcd at {ClientUrl.AbsoluteUri.TrimEnd('/')} was not healthy within {_options.StartTimeout.TotalSeconds:0}s.");
            await Task.Delay(100, CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <summary>Starts the member again whenever it exits before the node stops it, pausing longer after each quick exit.</summary>
    private async Task SuperviseAsync(Process process)
    {
        try
        {
            await process.WaitForExitAsync(_stopping.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return; // the node is stopping the member itself
        }
        var pause = TimeSpan.FromSeconds(1);
        while (!_stopping.IsCancellationRequested)
        {
            LogExitedRestarting(_logger, process.ExitCode, pause.TotalSeconds);
            try
            {
                await Task.Delay(pause, _stopping.Token).ConfigureAwait(false);
                Launch();
                await WaitHealthyAsync(_process!, _stopping.Token).ConfigureAwait(false);
                LogRestarted(_logger);
                return; // the new member has a supervisor of its own
            }
            catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is InvalidOperationException or TimeoutException or System.ComponentModel.Win32Exception)
            {
                LogRestartFailed(_logger, e);
                if (_process is { HasExited: false } stuck) stuck.Kill();
                pause = TimeSpan.FromTicks(Math.Min(pause.Ticks * 2, MaxRestartPause.Ticks));
            }
        }
    }

    public async Task<bool> IsHealthyAsync()
    {
        try
        {
            var body = await HealthClient.GetStringAsync(new Uri(ClientUrl, "/health")).ConfigureAwait(false);
            return body.Contains("\"health\":\"true\"", StringComparison.Ordinal);
        }
        catch (HttpRequestException) { return false; }
        catch (TaskCanceledException) { return false; }
    }

    private static string PidFile(string dataDirectory) => dataDirectory + ".pid";

    /// <summary>
    /// A node that was killed leaves its etcd to the watchdog; if that etcd still holds the data directory, stop
    /// it. A member whose owner node is alive belongs to that node: refuse rather than take it away.
    /// </summary>
    private void StopLeftoverMember(string dataDirectory)
    {
        var pidFile = PidFile(dataDirectory);
        if (!File.Exists(pidFile)) return;
        var pids = File.ReadAllText(pidFile).Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var etcdPid = pids.Length > 0 && int.TryParse(pids[0], NumberStyles.None, CultureInfo.InvariantCulture, out var e) ? e : 0;
        var ownerPid = pids.Length > 1 && int.TryParse(pids[1], NumberStyles.None, CultureInfo.InvariantCulture, out var o) ? o : 0;
        if (etcdPid > 0 && IsRunning(etcdPid, "etcd"))
        {
            if (ownerPid > 0 && ownerPid != Environment.ProcessId && IsRunning(ownerPid, null))
            {
                throw new InvalidOperationException(
                    $"The embedded etcd data directory {dataDirectory} is in use by the etcd of another running node (node process {ownerPid}, etcd process {etcdPid}). " +
                    "Point this node at that etcd (Fossil:Etcd:Endpoints), or give it a data directory and ports of its own " +
                    "(Fossil:Etcd:Embedded:DataDirectory, ClientPort, PeerPort).");
            }
            LogStoppingLeftover(_logger, etcdPid);
            using var leftover = Process.GetProcessById(etcdPid);
            leftover.Kill();
            leftover.WaitForExit(TimeSpan.FromSeconds(10));
        }
        File.Delete(pidFile);
    }

    private static bool IsRunning(int pid, string? name)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited && (name is null || process.ProcessName == name);
        }
        catch (ArgumentException)
        {
            return false; // not running any more
        }
    }

    private static void EnsurePortFree(int port, string role)
    {
        try
        {
            using var probe = new TcpListener(System.Net.IPAddress.Loopback, port);
            probe.Start();
        }
        catch (SocketException)
        {
            throw new InvalidOperationException(
                $"Port {port} (embedded etcd {role} port) is in use. Configure Fossil:Etcd:Endpoints to use that etcd, " +
                $"or move the embedded one with Fossil:Etcd:Embedded:ClientPort / PeerPort.");
        }
    }

    private static void StartWatchdog(int etcdPid)
    {
        var script = FormattableString.Invariant(
            $"while kill -0 {Environment.ProcessId} 2>/dev/null && kill -0 {etcdPid} 2>/dev/null; do sleep 1; done; kill {etcdPid} 2>/dev/null");
        using var _ = Process.Start(new ProcessStartInfo("/bin/sh") { ArgumentList = { "-c", script }, UseShellExecute = false });
    }

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
            .Select(dir => Path.Combine(dir, name))
            .FirstOrDefault(File.Exists);

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_process is null) return;
        if (!_process.HasExited)
        {
            // SIGTERM lets etcd close its WAL cleanly; SIGKILL only if it does not stop in time.
            using (var term = Process.Start(new ProcessStartInfo("kill") { ArgumentList = { _process.Id.ToString(CultureInfo.InvariantCulture) }, UseShellExecute = false }))
                await term!.WaitForExitAsync().ConfigureAwait(false);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try { await _process.WaitForExitAsync(timeout.Token).ConfigureAwait(false); }
            catch (OperationCanceledException) { _process.Kill(); }
        }
        LogStopped(_logger);
        _process.Dispose();
        _process = null;
        _stopping.Dispose();
    }

    [LoggerMessage(EventId = 100, Level = LogLevel.Information, Message = "Embedded etcd serving at {Url} with data in {DataDirectory}")]
    private static partial void LogStarted(ILogger logger, string url, string dataDirectory);

    [LoggerMessage(EventId = 101, Level = LogLevel.Information, Message = "Embedded etcd stopped")]
    private static partial void LogStopped(ILogger logger);

    [LoggerMessage(EventId = 102, Level = LogLevel.Warning, Message = "Stopping etcd process {Pid} left over from an earlier run")]
    private static partial void LogStoppingLeftover(ILogger logger, int pid);

    [LoggerMessage(EventId = 103, Level = LogLevel.Debug, Message = "etcd: {Line}")]
    private static partial void LogEtcdOutput(ILogger logger, string line);

    [LoggerMessage(EventId = 104, Level = LogLevel.Error, Message = "The embedded etcd exited with code {ExitCode} while the node runs; starting it again in {Seconds:0.#}s")]
    private static partial void LogExitedRestarting(ILogger logger, int exitCode, double seconds);

    [LoggerMessage(EventId = 105, Level = LogLevel.Warning, Message = "The embedded etcd is serving again")]
    private static partial void LogRestarted(ILogger logger);

    [LoggerMessage(EventId = 106, Level = LogLevel.Error, Message = "Starting the embedded etcd again failed; trying later")]
    private static partial void LogRestartFailed(ILogger logger, Exception exception);
}
