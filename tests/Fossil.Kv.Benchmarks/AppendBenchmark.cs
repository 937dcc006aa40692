using System.Diagnostics;
using System.Globalization;
using System.Runtime;
using System.Text;
using System.Text.Json;
using Fossil.Kv.Appends;
using Fossil.Kv.Etcd;
using Fossil.Kv.Testing;

namespace Fossil.Kv.Benchmarks;

internal sealed class AppendBenchmarkOptions
{
    public string? Endpoints { get; init; }
    public double Seconds { get; init; } = 5;
    public double WarmupSeconds { get; init; } = 2;
    public int[] Concurrencies { get; init; } = [1, 16, 64, 256];
    public int[] Partitions { get; init; } = [4];
    public int? EtcdPid { get; init; }
    public string? Json { get; init; }
}

/// <summary>One measured row: a workload at one concurrency (and, for the store, one partition count).</summary>
internal sealed record Row(
    string Workload, int Concurrency, int? Partitions, double Seconds, long Ops, double OpsPerSecond, double EventsPerSecond,
    double P50Ms, double P99Ms, double? EtcdCpuUsPerEvent, double ClientCpuUsPerEvent, double? EtcdCores, double ClientCores,
    double? AppendsPerTxn, double? EventsPerTxn, double? TxnsPerSecond, long? Conflicts, double? NodeCpuUsPerEvent = null, double? NodeCores = null);

internal sealed record Goal(string Name, double Measured, double Target, bool Met);

/// <summary>
/// Raw etcd Puts through <see cref="EtcdClient"/> side by side with <see cref="EventStore.AppendToStreamAsync"/>
/// (1 and 10 events per append), at several concurrencies, in one run against one etcd.
/// </summary>
internal static class AppendBenchmark
{
    private const int ValueBytes = 256;
    private static readonly byte[] Value = new byte[ValueBytes];
    private static readonly byte[] JsonData = MakeJson(ValueBytes);
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static async Task<int> RunAsync(AppendBenchmarkOptions options)
    {
        EtcdCluster? own = null;
        var endpoints = options.Endpoints;
        var etcdPid = options.EtcdPid;
        if (endpoints is null)
        {
            own = await EtcdCluster.StartAsync(1);
            endpoints = own.ClientUrls[0].AbsoluteUri.TrimEnd('/');
            etcdPid = own.Members[0].ProcessId;
        }
        try
        {
            return await RunAsync(options, endpoints, etcdPid);
        }
        finally
        {
            if (own is not null) await own.DisposeAsync();
        }
    }

    private static async Task<int> RunAsync(AppendBenchmarkOptions options, string endpoints, int? etcdPid)
    {
        var run = Guid.NewGuid().ToString("N")[..8];
        var etcdOptions = new EtcdClientOptions { Endpoints = [endpoints] };
        await using var client = new EtcdClient(etcdOptions);
        // Deleting a row's keys and compacting them away takes etcd 5-15 s after a busy row, longer than a call's
        // usual timeout: a compaction still running would take etcd's CPU from the next row.
        await using var reclaimer = new EtcdClient(new EtcdClientOptions { Endpoints = [endpoints], CallTimeout = TimeSpan.FromMinutes(10) });
        var status = await client.StatusAsync(endpoints);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"etcd {status.Version} at {endpoints} (pid {etcdPid?.ToString(CultureInfo.InvariantCulture) ?? "unknown"}); .NET {Environment.Version}, {Environment.ProcessorCount} cores, " +
            $"{(GCSettings.IsServerGC ? "server" : "workstation")} GC; {options.Seconds}s per row after {options.WarmupSeconds}s warm-up; values/data {ValueBytes} B"));
        foreach (var knob in new[] { "DOTNET_ThreadPool_UnfairSemaphoreSpinLimit", "DOTNET_TieredPGO", "DOTNET_gcServer", "DOTNET_TieredCompilation", "DOTNET_ReadyToRun" })
            if (Environment.GetEnvironmentVariable(knob) is { } v) Console.WriteLine($"  {knob}={v}");

        var stores = new Dictionary<int, EventStore>();
        foreach (var partitions in options.Partitions)
        {
            var storeOptions = new FossilOptions { RootPrefix = $"/bench-{run}-p{partitions}", Etcd = etcdOptions };
            storeOptions.Segment.Partitions = partitions;
            stores[partitions] = new EventStore(client, storeOptions);
        }

        var bench = new Bench(etcdPid, TimeSpan.FromSeconds(options.Seconds), TimeSpan.FromSeconds(options.WarmupSeconds));
        var rows = new List<Row>();
        try
        {
            // JIT, connections and the stores' windows, before any row.
            await Bench.WarmAsync(16, TimeSpan.FromSeconds(1), (w, i) => client.PutAsync(RawKey(run, "warm", w, i), Value));
            foreach (var (partitions, store) in stores)
                await Bench.WarmAsync(16, TimeSpan.FromSeconds(1), (w, i) => store.AppendToStreamAsync($"warm-{w}", StreamState.Any, Events(1)));

            foreach (var concurrency in options.Concurrencies)
            {
                rows.Add(await bench.MeasureAsync("Put (raw)", concurrency, null, 1,
                    (w, i) => client.PutAsync(RawKey(run, concurrency.ToString(CultureInfo.InvariantCulture), w, i), Value)));
                await ReclaimAsync(reclaimer, "/bench-raw/");
                foreach (var (partitions, store) in stores)
                {
                    foreach (var events in new[] { 1, 10 })
                    {
                        var prefix = string.Create(CultureInfo.InvariantCulture, $"e{events}-c{concurrency}-");
                        rows.Add(await bench.MeasureAsync($"Append {events} event{(events > 1 ? "s" : "")}", concurrency, partitions, events,
                            (w, i) => store.AppendToStreamAsync(prefix + w.ToString(CultureInfo.InvariantCulture), StreamState.Any, Events(events))));
                        // The next row appends to new streams, so this row's events can go.
                        await ReclaimAsync(reclaimer, $"/bench-{run}-p{partitions}/s/");
                    }
                }
            }
        }
        finally
        {
            foreach (var store in stores.Values) await store.DisposeAsync();
        }

        var goals = new List<(int Partitions, List<Goal> Goals)>();
        foreach (var partitions in options.Partitions) goals.Add((partitions, Goals(rows, partitions)));
        Print(rows, goals);
        if (options.Json is { } json)
        {
            var text = JsonSerializer.Serialize(new
            {
                etcd = status.Version, endpoints, cores = Environment.ProcessorCount, dotnet = Environment.Version.ToString(),
                serverGc = GCSettings.IsServerGC, seconds = options.Seconds, warmup = options.WarmupSeconds, rows,
                goals = goals.Select(g => new { partitions = g.Partitions, goals = g.Goals }),
            }, Indented);
            if (json == "-") Console.WriteLine(text);
            else await File.WriteAllTextAsync(json, text);
        }
        return 0;
    }

    /// <summary>
    /// Deletes a finished row's keys and compacts, so a whole run stays far below etcd's 2 GiB quota (a run
    /// writes several GiB of values; without this it ends in NOSPACE) and every row starts on a small database.
    /// </summary>
    private static async Task ReclaimAsync(EtcdClient client, string prefix)
    {
        var from = Encoding.UTF8.GetBytes(prefix);
        var clock = Stopwatch.StartNew();
        var deleted = await client.DeleteRangeAsync(new Etcdserverpb.DeleteRangeRequest
        {
            Key = Google.Protobuf.ByteString.CopyFrom(from),
            RangeEnd = EtcdKeys.PrefixEnd(from),
        });
        try
        {
            // Physical: wait until etcd has removed the history, so the next row does not pay for it.
            await client.CompactAsync(new Etcdserverpb.CompactionRequest { Revision = deleted.Header.Revision, Physical = true });
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  (reclaimed {deleted.Deleted:N0} keys in {clock.Elapsed.TotalSeconds:F1} s)"));
        }
        catch (EtcdException e)
        {
            Console.WriteLine($"  (compaction still running: {e.Message})");
        }
    }

    private static List<Goal> Goals(List<Row> rows, int partitions)
    {
        Row? Find(string workload, int concurrency) =>
            rows.FirstOrDefault(r => r.Workload == workload && r.Concurrency == concurrency && (r.Partitions is null || r.Partitions == partitions));

        var goals = new List<Goal>();
        void Ratio(string name, Row? store, Row? raw, Func<Row, double> measure, double target, bool atMost = false)
        {
            if (store is null || raw is null) return;
            var ratio = measure(store) / measure(raw);
            goals.Add(new Goal(name, ratio, target, atMost ? ratio <= target : ratio >= target));
        }
        Ratio("16 concurrent single-event appends/s vs raw Puts/s", Find("Append 1 event", 16), Find("Put (raw)", 16), r => r.OpsPerSecond, 2.0);
        Ratio("64 concurrent single-event appends/s vs raw Puts/s", Find("Append 1 event", 64), Find("Put (raw)", 64), r => r.OpsPerSecond, 1.0);
        Ratio("64 concurrent 10-event appends, events/s vs raw Puts/s", Find("Append 10 events", 64), Find("Put (raw)", 64), r => r.EventsPerSecond, 5.0);
        Ratio("one appender's p50 vs one raw Put's p50", Find("Append 1 event", 1), Find("Put (raw)", 1), r => r.P50Ms, 1.5, atMost: true);
        return goals;
    }

    private static void Print(List<Row> rows, List<(int Partitions, List<Goal> Goals)> goals)
    {
        var inv = CultureInfo.InvariantCulture;
        Console.WriteLine();
        Console.WriteLine("| workload | conc. | partitions | ops/s | events/s | events/s ÷ raw | p50 ms | p99 ms | p50 ÷ raw | appends/Txn | events/Txn | etcd CPU µs/event | client CPU µs/event | etcd cores | client cores |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in rows)
        {
            var raw = rows.First(x => x.Workload == "Put (raw)" && x.Concurrency == r.Concurrency);
            Console.WriteLine(string.Create(inv,
                $"| {r.Workload} | {r.Concurrency} | {(r.Partitions?.ToString(inv) ?? "")} | {r.OpsPerSecond:N0} | {r.EventsPerSecond:N0} | {r.EventsPerSecond / raw.EventsPerSecond:F2}× | " +
                $"{r.P50Ms:F2} | {r.P99Ms:F2} | {r.P50Ms / raw.P50Ms:F2}× | {Opt(r.AppendsPerTxn, "F1")} | {Opt(r.EventsPerTxn, "F1")} | {Opt(r.EtcdCpuUsPerEvent, "F0")} | {r.ClientCpuUsPerEvent:F0} | {Opt(r.EtcdCores, "F2")} | {r.ClientCores:F2} |"));
        }
        foreach (var (partitions, list) in goals)
        {
            Console.WriteLine();
            Console.WriteLine($"Goals (segment.partitions = {partitions}):");
            foreach (var g in list)
                Console.WriteLine(string.Create(inv, $"  [{(g.Met ? "met" : "NOT met")}] {g.Name}: {g.Measured:F2}× (goal {(g.Name.Contains("p50", StringComparison.Ordinal) ? "≤" : "≥")} {g.Target:F1}×)"));
        }
    }

    private static string Opt(double? value, string format) => value is { } v ? v.ToString(format, CultureInfo.InvariantCulture) : "";

    private static ReadOnlyMemory<byte> RawKey(string run, string tag, int worker, long i) =>
        Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"/bench-raw/{run}/{tag}/{worker}/{i}"));

    private static EventData[] Events(int count)
    {
        var events = new EventData[count];
        for (var i = 0; i < count; i++) events[i] = new EventData(null, "bench-event", JsonData);
        return events;
    }

    /// <summary>A JSON object of exactly <paramref name="bytes"/> bytes.</summary>
    private static byte[] MakeJson(int bytes)
    {
        var head = "{\"kind\":\"benchmark\",\"pad\":\"";
        var tail = "\"}";
        return Encoding.UTF8.GetBytes(head + new string('x', bytes - head.Length - tail.Length) + tail);
    }
}
