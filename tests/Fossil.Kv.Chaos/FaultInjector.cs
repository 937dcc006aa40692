using System.Diagnostics;
using System.Globalization;
using Fossil.Kv.Testing;

namespace Fossil.Kv.Chaos;

/// <summary>
/// Injects one fault at a time on a fixed rotation, heals it, pauses, and goes on: SIGKILL of the etcd
/// leader, SIGSTOP/SIGCONT of a member, SIGKILL of a follower, SIGKILL of a node process while appends are
/// in flight, and SIGKILL of a node just after a segment window ended (when it seals and materializes).
/// Only one etcd member is ever down, so the cluster keeps its quorum apart from elections.
/// </summary>
internal sealed class FaultInjector(EtcdCluster cluster, IReadOnlyList<NodeHost> nodes, HttpClient http, ChaosOptions options, Stopwatch clock)
{
    private static readonly TimeSpan NodeStartTimeout = TimeSpan.FromSeconds(60);
    private readonly List<string> _log = [];
    private readonly List<string> _crashes = [];
    private readonly Random _random = new(options.Seed);

    public IReadOnlyList<string> Log
    {
        get { lock (_log) return [.. _log]; }
    }

    public async Task RunAsync(CancellationToken stop)
    {
        Func<CancellationToken, Task>[] schedule = [KillLeaderAsync, KillNodeMidAppendAsync, PauseMemberAsync, KillNodeMidMaterializationAsync, KillFollowerAsync];
        try
        {
            for (var i = 0; ; i++)
            {
                await Task.Delay(options.FaultGap, stop).ConfigureAwait(false);
                await schedule[i % schedule.Length](stop).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // The run is over; HealAllAsync brings back whatever is still down.
        }
    }

    /// <summary>Resumes paused members, restarts killed members and nodes, and waits until all serve.</summary>
    public async Task HealAllAsync()
    {
        foreach (var member in cluster.Members)
        {
            if (!member.IsRunning) await member.RestartAsync().ConfigureAwait(false);
            else member.Resume();
        }
        foreach (var member in cluster.Members) await member.WaitHealthyAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
        foreach (var node in nodes.Where(n => !n.IsRunning))
        {
            // A node that cannot start (it crashes at once) is already a node-crash violation; the run goes on to the checker.
            try { await node.StartAsync(http, NodeStartTimeout).ConfigureAwait(false); }
            catch (Exception e) when (e is InvalidOperationException or TimeoutException) { Record($"{node.Name} did not start again: {e.Message}"); }
        }
    }

    private async Task KillLeaderAsync(CancellationToken stop)
    {
        var leader = await cluster.FindLeaderAsync().ConfigureAwait(false);
        leader.Kill();
        Record($"SIGKILL etcd leader {leader.Name}");
        await Task.Delay(options.EtcdDownTime, stop).ConfigureAwait(false);
        await leader.RestartAsync().ConfigureAwait(false);
        Record($"restarted etcd {leader.Name}");
    }

    private async Task KillFollowerAsync(CancellationToken stop)
    {
        var leader = await cluster.FindLeaderAsync().ConfigureAwait(false);
        var follower = cluster.Members.Where(m => m != leader && m.IsRunning).OrderBy(_ => _random.Next()).First();
        follower.Kill();
        Record($"SIGKILL etcd follower {follower.Name}");
        await Task.Delay(options.EtcdDownTime, stop).ConfigureAwait(false);
        await follower.RestartAsync().ConfigureAwait(false);
        Record($"restarted etcd {follower.Name}");
    }

    private async Task PauseMemberAsync(CancellationToken stop)
    {
        var member = cluster.Members[_random.Next(cluster.Members.Count)];
        var leader = await cluster.FindLeaderAsync().ConfigureAwait(false) == member;
        member.Pause();
        Record($"SIGSTOP etcd {member.Name}{(leader ? " (leader)" : "")}");
        try
        {
            await Task.Delay(options.EtcdDownTime, stop).ConfigureAwait(false);
        }
        finally
        {
            member.Resume();
            Record($"SIGCONT etcd {member.Name}");
        }
    }

    private async Task KillNodeMidAppendAsync(CancellationToken stop)
    {
        if (RunningNode() is not { } node) return;
        node.Kill();
        Record($"SIGKILL {node.Name} (appends in flight)");
        await RestartNodeAsync(node, stop).ConfigureAwait(false);
    }

    /// <summary>
    /// Best effort: segment windows are UTC-aligned and a node seals and materializes on its 1 s tick after
    /// a window ends, so a kill between 0.2 s and 1.4 s past a boundary often lands mid-materialization.
    /// </summary>
    private async Task KillNodeMidMaterializationAsync(CancellationToken stop)
    {
        var window = options.SegmentWindow;
        var now = DateTime.UtcNow;
        var boundary = new DateTime((now.Ticks / window.Ticks + 1) * window.Ticks, DateTimeKind.Utc);
        var offset = TimeSpan.FromMilliseconds(_random.Next(200, 1400));
        await Task.Delay(boundary + offset - now, stop).ConfigureAwait(false);
        if (RunningNode() is not { } node) return;
        node.Kill();
        Record($"SIGKILL {node.Name} {offset.TotalMilliseconds:0} ms after the window ended at {boundary:HH:mm:ss} (sealing/materializing)");
        await RestartNodeAsync(node, stop).ConfigureAwait(false);
    }

    private async Task RestartNodeAsync(NodeHost node, CancellationToken stop)
    {
        await Task.Delay(options.NodeDownTime, stop).ConfigureAwait(false);
        if (node.IsRunning) return;
        await node.StartAsync(http, NodeStartTimeout, stop).ConfigureAwait(false);
        Record($"restarted {node.Name}");
    }

    private NodeHost? RunningNode()
    {
        var running = nodes.Where(n => n.IsRunning).ToList();
        if (running.Count == 0) Record("no node is running; node fault skipped");
        return running.Count == 0 ? null : running[_random.Next(running.Count)];
    }

    /// <summary>
    /// Watches for nodes that exit on their own — a crash is a failure of the product, never a fault this run
    /// injected — records the first error in the node's log, and starts the node again so the run goes on.
    /// </summary>
    public async Task WatchForCrashesAsync(CancellationToken stop)
    {
        var logLines = nodes.ToDictionary(n => n, _ => 0);
        try
        {
            while (!stop.IsCancellationRequested)
            {
                await Task.Delay(500, stop).ConfigureAwait(false);
                foreach (var node in nodes)
                {
                    if (node.CrashedProcessId is not { } pid) continue;
                    var crash = $"{node.Name} (pid {pid}) exited on its own: {node.FirstErrorInLog(logLines[node])}";
                    lock (_crashes) _crashes.Add(crash);
                    Record("CRASH " + crash);
                    await DumpEtcdAsync(Path.Combine(node.Directory, $"etcd-at-crash-{pid}")).ConfigureAwait(false);
                    node.Kill();
                    logLines[node] = File.Exists(node.LogPath) ? File.ReadLines(node.LogPath).Count() : 0;
                    try
                    {
                        await node.StartAsync(http, NodeStartTimeout, stop).ConfigureAwait(false);
                        Record($"restarted {node.Name} after its crash");
                    }
                    catch (Exception e) when (e is InvalidOperationException or TimeoutException)
                    {
                        Record($"{node.Name} did not start again: {e.Message}");
                    }
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // The run is over.
        }
    }

    /// <summary>Every key, and the values under /meta, as etcd holds them when a node crashed: evidence for the report.</summary>
    private async Task DumpEtcdAsync(string prefix)
    {
        try
        {
            var endpoints = cluster.Members.Where(m => m.IsRunning).Select(m => m.ClientUrl).ToList();
            await File.WriteAllTextAsync(prefix + ".keys", await EtcdCtl.RunAsync(endpoints, "get", "/", "--prefix", "--keys-only").ConfigureAwait(false)).ConfigureAwait(false);
            await File.WriteAllTextAsync(prefix + ".meta", await EtcdCtl.RunAsync(endpoints, "get", "/meta/", "--prefix").ConfigureAwait(false)).ConfigureAwait(false);
        }
        catch (InvalidOperationException e)
        {
            Record($"could not dump etcd: {e.Message}");
        }
    }

    public IReadOnlyList<string> Crashes
    {
        get { lock (_crashes) return [.. _crashes]; }
    }

    private void Record(string what)
    {
        var line = string.Create(CultureInfo.InvariantCulture, $"{clock.Elapsed.TotalSeconds,6:0.0}s {what}");
        lock (_log) _log.Add(line);
        options.Progress?.WriteLine(line);
    }
}
