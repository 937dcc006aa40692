using System.Diagnostics;
using System.Globalization;
using Fossil.Kv.Appends;
using Fossil.Kv.Testing;

namespace Fossil.Kv.Benchmarks;

/// <summary>
/// Runs an operation from N concurrent workers for a fixed time after a warm-up, and measures throughput,
/// latency percentiles, and the CPU of this process, of etcd and (when given) of a node process.
/// </summary>
internal sealed class Bench(int? etcdPid, TimeSpan duration, TimeSpan warmup, int? nodePid = null)
{
    public static async Task WarmAsync(int concurrency, TimeSpan time, Func<int, long, Task> op)
    {
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(w => Task.Run(async () =>
        {
            for (long i = 0; clock.Elapsed < time; i++) await op(w, i);
        })));
    }

    public async Task<Row> MeasureAsync(string workload, int concurrency, int? partitions, int eventsPerOp, Func<int, long, Task> op)
    {
        // Warm-up on the same keys/streams (the stores' stream tips get cached), then the measured run continues them.
        var counters = new long[concurrency];
        await WarmAsync(concurrency, warmup, (w, _) => op(w, counters[w]++));

        var latencies = new List<double>[concurrency];
        var etcdCpu0 = ProcessCpu.Microseconds(etcdPid);
        var nodeCpu0 = ProcessCpu.Microseconds(nodePid);
        using var self = Process.GetCurrentProcess();
        var clientCpu0 = self.TotalProcessorTime;
        var metrics0 = AppendMetrics.Read();
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(w => Task.Run(async () =>
        {
            var mine = latencies[w] = new List<double>(8192);
            for (var i = counters[w]; clock.Elapsed < duration; i++)
            {
                var started = Stopwatch.GetTimestamp();
                await op(w, i);
                mine.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
        })));
        var elapsed = clock.Elapsed.TotalSeconds;
        var metrics = AppendMetrics.Read() - metrics0;
        self.Refresh();
        var clientCpu = (self.TotalProcessorTime - clientCpu0).TotalMicroseconds;
        var etcdCpu = ProcessCpu.Microseconds(etcdPid) - etcdCpu0;
        var nodeCpu = ProcessCpu.Microseconds(nodePid) - nodeCpu0;

        var all = latencies.SelectMany(l => l).Order().ToArray();
        long ops = all.Length;
        var events = ops * eventsPerOp;
        var isStore = partitions is not null;
        var row = new Row(workload, concurrency, partitions, elapsed, ops, ops / elapsed, events / elapsed,
            all[(int)(ops * 0.50)], all[Math.Min(ops - 1, (int)(ops * 0.99))],
            etcdCpu / events, clientCpu / events, etcdCpu / elapsed / 1e6, clientCpu / elapsed / 1e6,
            isStore && metrics.Transactions > 0 ? (double)metrics.Appends / metrics.Transactions : null,
            isStore && metrics.Transactions > 0 ? (double)metrics.Events / metrics.Transactions : null,
            isStore ? metrics.Transactions / elapsed : null,
            isStore ? metrics.Conflicts : null,
            nodeCpu / events, nodeCpu / elapsed / 1e6);
        var line = string.Create(CultureInfo.InvariantCulture,
            $"{workload,-18} x{concurrency,-4} {(partitions is { } p ? $"p{p}" : ""),-4} {row.OpsPerSecond,9:N0} ops/s {row.EventsPerSecond,9:N0} events/s  p50 {row.P50Ms,6:F2} ms  p99 {row.P99Ms,7:F2} ms");
        if (isStore && metrics.Transactions > 0) line += string.Create(CultureInfo.InvariantCulture, $"  {row.AppendsPerTxn:F1} appends/Txn  {row.Conflicts} conflicts");
        if (row.NodeCores is { } nodeCores) line += string.Create(CultureInfo.InvariantCulture, $"  node {nodeCores:F2} cores, client {row.ClientCores:F2} cores");
        Console.WriteLine(line);
        return row;
    }
}
