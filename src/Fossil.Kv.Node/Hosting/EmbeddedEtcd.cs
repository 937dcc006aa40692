using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;

namespace Fossil.Kv.Node.Hosting;

/// <summary>
/// Starts and supervises a single local etcd member for a node that has no etcd endpoints configured, so
/// the run command works on a fresh machine. The member stops with the node; a watchdog shell kills it
/// if the node dies without stopping it.
/// </summary>
public sealed partial class EmbeddedEtcd : IAsyncDisposable
{
    private static readonly HttpClient HealthClient = new() { Timeout = TimeSpan.FromSeconds(2) };
    private readonly EmbeddedEtcdOptions _options;
    private readonly ILogger _logger;
    private Process? _process;

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
        var executable = _options.Executable ?? FindOnPath("etcd") ?? throw new InvalidOperationException(
            "No etcd endpoints are configured (Fossil:Etcd:Endpoints) and no 'etcd' binary is on PATH to start an embedded one. " +
            "Install it with 'scripts/etcd.sh install' or configure Fossil__Etcd__Endpoints.");
        var dataDirectory = Path.GetFullPath(_options.DataDirectory);
        Directory.CreateDirectory(Path.GetDirectoryName(dataDirectory)!);
        StopLeftoverMember(dataDirectory);
        EnsurePortFree(_options.ClientPort, "client");
        EnsurePortFree(_options.PeerPort, "peer");

        var peerUrl = $"http://127.0.0.1:{_options.PeerPort}";
        var clientUrl = ClientUrl.AbsoluteUri.TrimEnd('/');
        var start = new ProcessStartInfo(executable)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            ArgumentList =
            {
                "--name", "fossil", "--data-dir", dataDirectory,
                "--listen-client-urls", clientUrl, "--advertise-client-urls", clientUrl,
                "--listen-peer-urls", peerUrl, "--initial-advertise-peer-urls", peerUrl,
                "--initial-cluster", $"fossil={peerUrl}",
                "--quota-backend-bytes", _options.QuotaBackendBytes.ToString(CultureInfo.InvariantCulture),
                "--auto-compaction-mode", "periodic", "--auto-compaction-retention", _options.AutoCompactionRetention,
                "--logger", "zap", "--log-outputs", "stderr", "--log-level", "warn",
            },
        };
        _process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {executable}.");
        _process.OutputDataReceived += (_, e) => { if (e.Data is not null) LogEtcdOutput(_logger, e.Data); };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) LogEtcdOutput(_logger, e.Data); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        File.WriteAllText(PidFile(dataDirectory), _process.Id.ToString(CultureInfo.InvariantCulture));
        StartWatchdog(_process.Id);

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.StartTimeout);
        while (!await IsHealthyAsync().ConfigureAwait(false))
        {
            if (_process.HasExited)
                throw new InvalidOperationException($"The embedded etcd exited with code {_process.ExitCode} while starting; see the log above.");
            if (timeout.IsCancellationRequested)
                throw new TimeoutException($"The embedded etcd at {clientUrl} was not healthy within {_options.StartTimeout.TotalSeconds:0}s.");
            await Task.Delay(100, CancellationToken.None).ConfigureAwait(false);
        }
        LogStarted(_logger, clientUrl, dataDirectory);
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

    /// <summary>A node that was killed leaves its etcd to the watchdog; if that etcd still holds the data directory, stop it.</summary>
    private void StopLeftoverMember(string dataDirectory)
    {
        var pidFile = PidFile(dataDirectory);
        if (!File.Exists(pidFile)) return;
        if (int.TryParse(File.ReadAllText(pidFile), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
        {
            try
            {
                using var leftover = Process.GetProcessById(pid);
                if (leftover.ProcessName == "etcd")
                {
                    LogStoppingLeftover(_logger, pid);
                    leftover.Kill();
                    leftover.WaitForExit(TimeSpan.FromSeconds(10));
                }
            }
            catch (ArgumentException) { /* not running any more */ }
        }
        File.Delete(pidFile);
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
    }

    [LoggerMessage(EventId = 100, Level = LogLevel.Information, Message = "Embedded etcd serving at {Url} with data in {DataDirectory}")]
    private static partial void LogStarted(ILogger logger, string url, string dataDirectory);

    [LoggerMessage(EventId = 101, Level = LogLevel.Information, Message = "Embedded etcd stopped")]
    private static partial void LogStopped(ILogger logger);

    [LoggerMessage(EventId = 102, Level = LogLevel.Warning, Message = "Stopping etcd process {Pid} left over from an earlier run")]
    private static partial void LogStoppingLeftover(ILogger logger, int pid);

    [LoggerMessage(EventId = 103, Level = LogLevel.Debug, Message = "etcd: {Line}")]
    private static partial void LogEtcdOutput(ILogger logger, string line);
}
