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
    private static readonly HashSet<int> PortsGiven = [];
    private readonly string[] _settings;
    private readonly SemaphoreSlim _starting = new(1, 1);
    private Process? _process;
    private bool _exitExpected;

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
        BaseAddress = FreeAddress();
    }

    public string Name { get; }

    public string Directory { get; }

    public Uri BaseAddress { get; private set; }

    public string LogPath => Path.Combine(Directory, "node.log");

    public int? ProcessId => _process is { HasExited: false } p ? p.Id : null;

    public bool IsRunning => ProcessId is not null;

    /// <summary>The process id when the node exited on its own (nobody killed or stopped it); null otherwise.</summary>
    public int? CrashedProcessId => _process is { HasExited: true } p && !Volatile.Read(ref _exitExpected) ? p.Id : null;

    /// <summary>The first error the node logged after <paramref name="skipLines"/> lines, for a crash report.</summary>
    public string FirstErrorInLog(int skipLines = 0)
    {
        try
        {
            var lines = File.ReadLines(LogPath).Skip(skipLines).ToList();
            var at = lines.FindIndex(l => l.StartsWith("fail:", StringComparison.Ordinal) || l.StartsWith("crit:", StringComparison.Ordinal));
            return at < 0 ? "(nothing logged)" : string.Join(" ", lines.Skip(at).Take(4).Select(l => l.Trim()));
        }
        catch (IOException) { return "(no log)"; }
    }

    /// <summary>
    /// Starts the node unless it runs already, and waits until <c>/health/ready</c> answers 200; a port taken
    /// meanwhile means a new port. The fault injector and the crash watcher may both ask; one start happens.
    /// </summary>
    public async Task StartAsync(HttpClient http, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        await _starting.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            for (var attempt = 1; ; attempt++)
            {
                if (!IsRunning) Launch();
                try
                {
                    await WaitReadyAsync(http, timeout, cancellationToken).ConfigureAwait(false);
                    return;
                }
                catch (InvalidOperationException) when (attempt < 3)
                {
                    BaseAddress = FreeAddress();
                }
            }
        }
        finally
        {
            _starting.Release();
        }
    }

    /// <summary>
    /// A free port no other node of this process was given: the kernel may hand out a just-released port
    /// twice, and a node whose port another node holds would look ready while it is dead. A node keeps its
    /// port across restarts, so it never takes the port of an etcd member that is down for the moment.
    /// </summary>
    private static Uri FreeAddress()
    {
        lock (PortsGiven)
        {
            while (true)
            {
                var port = LocalPorts.GetFree();
                if (PortsGiven.Add(port)) return new Uri($"http://127.0.0.1:{port}");
            }
        }
    }

    private void Launch()
    {
        Kill();
        var dll = Path.Combine(AppContext.BaseDirectory, "Fossil.Kv.Node.dll");
        var args = string.Join(' ', new[] { "--urls", BaseAddress.AbsoluteUri.TrimEnd('/') }.Concat(_settings).Select(Quote));
        // exec keeps the pid, so SIGKILL reaches the node itself rather than a shell.
        var start = new ProcessStartInfo("/bin/sh")
        {
            ArgumentList = { "-c", $"exec dotnet {Quote(dll)} {args} >>{Quote(LogPath)} 2>&1" },
            UseShellExecute = false,
            WorkingDirectory = Directory,
        };
        var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {Name}.");
        Volatile.Write(ref _exitExpected, false);
        _process = process;
        StartWatchdog(process.Id);
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
        Volatile.Write(ref _exitExpected, true);
        // Taken out first, so other threads see the node as down at once. Not disposed: they may still be
        // asking the old object whether it exited, which must not throw.
        if (Interlocked.Exchange(ref _process, null) is not { } process) return;
        if (!process.HasExited)
        {
            Signals.Send(process.Id, Signals.Kill);
            process.WaitForExit();
        }
        lock (Running) Running.Remove(this);
    }

    /// <summary>SIGTERM, as a service manager stops a node: in-flight appends finish first. SIGKILL after 30 s.</summary>
    public async Task StopAsync()
    {
        Volatile.Write(ref _exitExpected, true);
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

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _starting.Dispose();
    }

    public override string ToString() => $"{Name} ({BaseAddress})";
}
