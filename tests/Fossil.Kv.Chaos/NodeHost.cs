using System.Diagnostics;
using System.Globalization;
using System.Net;
using Fossil.Kv.Testing;

namespace Fossil.Kv.Chaos;

/// <summary>
/// One Fossil.Kv.Node process (the Release build copied beside this program) on a loopback port, with
/// its own segment directory and log file. It can be SIGKILLed and started again on the same directory.
/// Like the etcd members, a watchdog shell kills it if this program dies, and the program kills every
/// node it still runs when it exits, so no node outlives a run.
/// </summary>
public sealed class NodeHost : IAsyncDisposable
{
    private static readonly HashSet<NodeHost> Running = [];
    private readonly string[] _settings;
    private Process? _process;

    static NodeHost() => AppDomain.CurrentDomain.ProcessExit += (_, _) =>
    {
        NodeHost[] nodes;
        lock (Running) nodes = [.. Running];
        foreach (var node in nodes) node.Kill();
    };

    public NodeHost(string name, string directory, IEnumerable<string> settings)
    {
        Name = name;
        Directory = directory;
        System.IO.Directory.CreateDirectory(directory);
        _settings = [.. settings, $"--Fossil:Segment:Directory={Path.Combine(directory, "segments")}", $"--Fossil:Node:Id={name}"];
        BaseAddress = new Uri($"http://127.0.0.1:{LocalPorts.GetFree()}");
    }

    public string Name { get; }

    public string Directory { get; }

    public Uri BaseAddress { get; private set; }

    public string LogPath => Path.Combine(Directory, "node.log");

    public int? ProcessId => _process is { HasExited: false } p ? p.Id : null;

    public bool IsRunning => ProcessId is not null;

    /// <summary>Starts the node and waits until <c>/health/ready</c> answers 200; a port taken meanwhile means a new port.</summary>
    public async Task StartAsync(HttpClient http, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        for (var attempt = 1; ; attempt++)
        {
            Launch();
            try
            {
                await WaitReadyAsync(http, timeout, cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (InvalidOperationException) when (attempt < 3)
            {
                BaseAddress = new Uri($"http://127.0.0.1:{LocalPorts.GetFree()}");
            }
        }
    }

    private void Launch()
    {
        if (IsRunning) throw new InvalidOperationException($"{Name} is already running.");
        var dll = Path.Combine(AppContext.BaseDirectory, "Fossil.Kv.Node.dll");
        var args = string.Join(' ', new[] { "--urls", BaseAddress.AbsoluteUri.TrimEnd('/') }.Concat(_settings).Select(Quote));
        // exec keeps the pid, so SIGKILL reaches the node itself rather than a shell.
        var start = new ProcessStartInfo("/bin/sh")
        {
            ArgumentList = { "-c", $"exec dotnet {Quote(dll)} {args} >>{Quote(LogPath)} 2>&1" },
            UseShellExecute = false,
            WorkingDirectory = Directory,
        };
        _process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {Name}.");
        StartWatchdog(_process.Id);
        lock (Running) Running.Add(this);
    }

    private static string Quote(string value) => "'" + value.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    private static void StartWatchdog(int pid)
    {
        var self = Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        var child = pid.ToString(CultureInfo.InvariantCulture);
        var script = $"while kill -0 {self} 2>/dev/null && kill -0 {child} 2>/dev/null; do sleep 1; done; kill -9 {child} 2>/dev/null";
        using var _ = Process.Start(new ProcessStartInfo("/bin/sh") { ArgumentList = { "-c", script }, UseShellExecute = false });
    }

    private async Task WaitReadyAsync(HttpClient http, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (_process is null or { HasExited: true })
                throw new InvalidOperationException($"{Name} exited while starting; see {LogPath}.");
            try
            {
                using var probe = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                probe.CancelAfter(TimeSpan.FromSeconds(2));
                using var response = await http.GetAsync(new Uri(BaseAddress, "/health/ready"), probe.Token).ConfigureAwait(false);
                if (response.StatusCode == HttpStatusCode.OK) return;
            }
            catch (HttpRequestException) { /* not listening yet */ }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested) { /* slow answer */ }
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"{Name} was not ready within {timeout.TotalSeconds:0}s; see {LogPath}.");
            await Task.Delay(100, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>SIGKILL: the node dies mid-request with no chance to finish or clean up.</summary>
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
        lock (Running) Running.Remove(this);
    }

    /// <summary>SIGTERM, as a service manager stops a node: in-flight appends finish first. SIGKILL after 30 s.</summary>
    public async Task StopAsync()
    {
        if (_process is { HasExited: false } process)
        {
            try { Signals.Send(process.Id, 15); }
            catch (InvalidOperationException) { /* it exited meanwhile */ }
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            try { await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false); }
            catch (OperationCanceledException) { /* killed below */ }
        }
        Kill();
    }

    public async ValueTask DisposeAsync() => await StopAsync().ConfigureAwait(false);

    public override string ToString() => $"{Name} ({BaseAddress})";
}
