using System.Diagnostics;
using System.Globalization;

namespace Fossil.Kv.Node.Tests;

/// <summary>The node started as its own process from the built assembly, on a free loopback port.</summary>
internal sealed class NodeProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _output = new();

    private NodeProcess(Process process, Uri baseAddress)
    {
        _process = process;
        BaseAddress = baseAddress;
    }

    /// <summary>What the node printed so far, stdout and stderr interleaved.</summary>
    public string Output => string.Join('\n', _output);

    public int ExitCode => _process.ExitCode;

    public Task WaitForExitAsync(CancellationToken cancellationToken) => _process.WaitForExitAsync(cancellationToken);

    public Uri BaseAddress { get; }

    public int ProcessId => _process.Id;

    public static NodeProcess Start(string workingDirectory, params string[] args)
    {
        var port = LocalPorts.GetFree();
        var baseAddress = new Uri($"http://127.0.0.1:{port}");
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Fossil.Kv.Node.dll"));
        start.ArgumentList.Add("--urls");
        start.ArgumentList.Add(baseAddress.AbsoluteUri.TrimEnd('/'));
        foreach (var arg in args) start.ArgumentList.Add(arg);
        var process = Process.Start(start)!;
        var node = new NodeProcess(process, baseAddress);
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) node._output.Enqueue(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) node._output.Enqueue(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return node;
    }

    public bool HasExited => _process.HasExited;

    /// <summary>SIGTERM, as a service manager stops a node, then waits for a graceful exit.</summary>
    public async Task StopAsync()
    {
        if (_process.HasExited) return;
        Signals.Send(_process.Id, 15);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await _process.WaitForExitAsync(timeout.Token);
    }

    /// <summary>SIGKILL, as a crash: no graceful shutdown, the node's lease is left to expire.</summary>
    public async Task KillAsync()
    {
        if (_process.HasExited) return;
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"node {ProcessId} at {BaseAddress}");
}
