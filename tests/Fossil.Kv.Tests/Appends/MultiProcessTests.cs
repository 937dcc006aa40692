using System.Diagnostics;
using System.Globalization;

namespace Fossil.Kv.Tests.Appends;

/// <summary>Writers in separate processes share streams through etcd alone.</summary>
[Collection(EtcdCollection.Name)]
public sealed class MultiProcessTests(EtcdFixture etcd)
{
    [Fact]
    public async Task writers_in_two_processes_keep_every_guarantee_on_shared_streams()
    {
        const int streams = 4;
        const string duration = "2s";
        await using var store = await StoreFactory.CreateAsync(etcd.Endpoints, o =>
        {
            o.Segment.Duration = duration;
            o.Segment.Partitions = 2;
        });
        var prefix = store.Context.Options.RootPrefix!;
        var endpoints = string.Join(',', etcd.Endpoints.Select(e => e.AbsoluteUri.TrimEnd('/')));

        var processes = Enumerable.Range(0, 2).Select(_ => StartWriter(endpoints, prefix, streams, seconds: 5, duration)).ToArray();
        var local = new List<AppendResult>();
        var until = DateTime.UtcNow.AddSeconds(5);
        for (var i = 0; DateTime.UtcNow < until; i++)
            local.Add(await store.AppendToStreamAsync($"shared-{i % streams}", StreamState.Any, StoreFactory.Events(1)));
        var remote = new List<(string Stream, long First, long Last, Position Position)>();
        foreach (var process in processes) remote.AddRange(await CollectAcksAsync(process));

        var acks = local.Select(a => (a.Stream, First: a.FirstVersion, Last: a.LastVersion, a.Position)).Concat(remote).ToList();
        Assert.True(remote.Count > 10, $"the other processes should have appended (got {remote.Count} acks)");

        var log = await store.ReadAllAsync(Position.Start).ToListAsync();
        // Every acknowledged event exactly once, nothing unacknowledged, versions contiguous per stream.
        var acknowledgedEvents = acks.SelectMany(a => Enumerable.Range((int)a.First, (int)(a.Last - a.First + 1)).Select(v => (a.Stream, Version: (long)v))).ToList();
        Assert.Equal(acknowledgedEvents.Count, acknowledgedEvents.Distinct().Count());
        Assert.Equal(acknowledgedEvents.Order(), log.Select(e => (e.Stream, e.Version)).Order());
        foreach (var group in log.GroupBy(e => e.Stream))
            Assert.Equal(Enumerable.Range(0, group.Count()).Select(v => (long)v), group.Select(e => e.Version).Order());
        // Positions strictly increase in the log, and each append's position is where its last event is.
        Assert.True(log.Zip(log.Skip(1)).All(p => p.First.Position < p.Second.Position));
        var byPosition = log.ToDictionary(e => e.Position);
        Assert.All(acks, a => Assert.Equal((a.Stream, a.Last), (byPosition[a.Position].Stream, byPosition[a.Position].Version)));
        // Within a stream, commit order is version order.
        foreach (var group in log.GroupBy(e => e.Stream))
            Assert.True(group.Zip(group.Skip(1)).All(p => p.First.Version < p.Second.Version));
    }

    private static Process StartWriter(string endpoints, string prefix, int streams, int seconds, string duration)
    {
        var dll = Path.Combine(AppContext.BaseDirectory.Replace("Fossil.Kv.Tests", "Fossil.Kv.TestWriter", StringComparison.Ordinal), "Fossil.Kv.TestWriter.dll");
        Assert.True(File.Exists(dll), $"the writer is built at {dll}");
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { dll, endpoints, prefix, streams.ToString(CultureInfo.InvariantCulture), seconds.ToString(CultureInfo.InvariantCulture), duration, "2" },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        return Process.Start(start)!;
    }

    private static async Task<List<(string, long, long, Position)>> CollectAcksAsync(Process process)
    {
        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await process.WaitForExitAsync(timeout.Token);
            Assert.True(process.ExitCode == 0, $"writer failed: {await stderr}");
            return [.. (await stdout).Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Select(line => line.Split(' '))
                .Where(parts => parts[0] == "ack")
                .Select(parts => (parts[1], long.Parse(parts[2], CultureInfo.InvariantCulture), long.Parse(parts[3], CultureInfo.InvariantCulture), Position.Parse(parts[4])))];
        }
    }
}
