using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Runtime;
using System.Text;
using Fossil.Kv.Etcd;
using Fossil.Kv.Testing;

namespace Fossil.Kv.Benchmarks;

/// <summary>
/// Appends over HTTP to a node process (one event per request, one keep-alive connection per client) beside
/// the same appends in process and raw etcd Puts, at the same concurrencies, in one run against one etcd.
/// </summary>
internal static class HttpBenchmark
{
    private const int DataBytes = 256;

    private static readonly TimeSpan NodeWarmup = TimeSpan.FromSeconds(10);

    public static async Task<int> RunAsync(AppendBenchmarkOptions options)
    {
        await using var etcd = await EtcdCluster.StartAsync(1);
        var endpoints = etcd.ClientUrls[0].AbsoluteUri.TrimEnd('/');
        var etcdPid = etcd.Members[0].ProcessId;
        var run = Guid.NewGuid().ToString("N")[..8];
        var partitions = options.Partitions[0];
        var port = LocalPorts.GetFree();
        using var node = StartNode(endpoints, port, $"/bench-http-{run}", partitions);
        try
        {
            var address = new IPEndPoint(IPAddress.Loopback, port);
            await WaitReadyAsync(node, address);
            var etcdOptions = new EtcdClientOptions { Endpoints = [endpoints] };
            await using var client = new EtcdClient(etcdOptions);
            var storeOptions = new FossilOptions { RootPrefix = $"/bench-inproc-{run}", Etcd = etcdOptions };
            storeOptions.Segment.Partitions = partitions;
            await using var store = new EventStore(client, storeOptions);

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"etcd at {endpoints} (pid {etcdPid}); node pid {node.Id} on {address}; .NET {Environment.Version}, {Environment.ProcessorCount} cores, " +
                $"{(GCSettings.IsServerGC ? "server" : "workstation")} GC in the client; {options.Seconds}s per row after {options.WarmupSeconds}s warm-up; " +
                $"data {DataBytes} B; segment.partitions {partitions}"));

            var data = Encoding.UTF8.GetBytes($"\"{new string('x', DataBytes - 2)}\"");
            await WarmNodeAsync(address, port, data);
            var bench = new Bench(etcdPid, TimeSpan.FromSeconds(options.Seconds), TimeSpan.FromSeconds(options.WarmupSeconds), node.Id);
            var rows = new List<Row>();
            foreach (var concurrency in options.Concurrencies)
            {
                rows.Add(await bench.MeasureAsync("Put (raw)", concurrency, null, 1,
                    (w, i) => client.PutAsync(Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"/bench-raw/{run}/{concurrency}/{w}/{i}")), data)));
                rows.Add(await bench.MeasureAsync("Append in process", concurrency, partitions, 1,
                    (w, _) => store.AppendToStreamAsync(string.Create(CultureInfo.InvariantCulture, $"c{concurrency}-{w}"), StreamState.Any, [new EventData(null, "bench-event", data)])));

                var connections = new LeanHttpConnection[concurrency];
                var requests = new byte[concurrency][];
                for (var w = 0; w < concurrency; w++)
                {
                    connections[w] = await LeanHttpConnection.OpenAsync(address);
                    var body = Encoding.UTF8.GetBytes($$"""{"expectedVersion":"any","events":[{"type":"bench-event","data":{{Encoding.UTF8.GetString(data)}}}]}""");
                    requests[w] = LeanHttpConnection.Post($"127.0.0.1:{port}", string.Create(CultureInfo.InvariantCulture, $"/streams/http-c{concurrency}-{w}/events"), body);
                }
                try
                {
                    // The node's HTTP path alone (Kestrel, middleware, routing, a response) on the same connections: the floor
                    // under the append rows' latency and CPU per request, however lean the append itself gets.
                    var liveness = LeanHttpConnection.Get($"127.0.0.1:{port}", "/health/live");
                    rows.Add(await bench.MeasureAsync("No-op over HTTP", concurrency, partitions, 1, async (w, _) =>
                    {
                        var status = await connections[w].SendAsync(liveness);
                        if (status != 200) throw new InvalidOperationException($"the node answered {status}");
                    }));
                    var before = await BatchTotalsAsync(address);
                    rows.Add(await bench.MeasureAsync("Append over HTTP", concurrency, partitions, 1, async (w, _) =>
                    {
                        var status = await connections[w].SendAsync(requests[w]);
                        if (status != 201) throw new InvalidOperationException($"the node answered {status}");
                    }));
                    var after = await BatchTotalsAsync(address);
                    var txns = after.Txns - before.Txns;
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"  node: {(txns > 0 ? (after.Appends - before.Appends) / txns : 0):F1} appends/Txn over {txns:N0} Txns (warm-up included)"));
                }
                finally
                {
                    foreach (var connection in connections) await connection.DisposeAsync();
                }
            }
            Print(rows);
            return 0;
        }
        finally
        {
            node.Kill(entireProcessTree: true);
            await node.WaitForExitAsync();
        }
    }

    /// <summary>
    /// Appends over HTTP for <see cref="NodeWarmup"/> before any row. A node's request path runs through far more methods
    /// than the in-process append; with the rows' 2 s warm-up alone its first row still ran partly on unoptimized
    /// (tier-0) code: one client's p50 1.11 ms and 918 µs of node CPU per request, against 0.95 ms and 518 µs after 10 s.
    /// </summary>
    private static async Task WarmNodeAsync(IPEndPoint address, int port, byte[] data)
    {
        const int clients = 16;
        var connections = new LeanHttpConnection[clients];
        var body = Encoding.UTF8.GetBytes($$"""{"expectedVersion":"any","events":[{"type":"bench-event","data":{{Encoding.UTF8.GetString(data)}}}]}""");
        for (var w = 0; w < clients; w++) connections[w] = await LeanHttpConnection.OpenAsync(address);
        try
        {
            var liveness = LeanHttpConnection.Get($"127.0.0.1:{port}", "/health/live");
            await Bench.WarmAsync(clients, NodeWarmup, async (w, i) =>
            {
                var request = i % 2 == 0 ? liveness : LeanHttpConnection.Post($"127.0.0.1:{port}", $"/streams/warm-{w}/events", body);
                await connections[w].SendAsync(request);
            });
        }
        finally
        {
            foreach (var connection in connections) await connection.DisposeAsync();
        }
    }

    /// <summary>The node's group-commit totals from its Prometheus text: appends committed and Txns that carried them.</summary>
    private static async Task<(double Appends, double Txns)> BatchTotalsAsync(IPEndPoint address)
    {
        using var http = new HttpClient();
        var text = await http.GetStringAsync(new Uri($"http://{address}/metrics"));
        double Value(string name) =>
            text.Split('\n').FirstOrDefault(l => l.StartsWith(name + " ", StringComparison.Ordinal)) is { } line
                ? double.Parse(line[(name.Length + 1)..], CultureInfo.InvariantCulture)
                : 0;
        return (Value("fossil_group_commit_batch_appends_sum"), Value("fossil_group_commit_batch_appends_count"));
    }

    private static Process StartNode(string endpoints, int port, string prefix, int partitions)
    {
        // FOSSIL_BENCH_NODE_DLL runs another build of the node (e.g. the Debug one `dotnet run` starts) against the same baseline.
        var start = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[]
        {
            Environment.GetEnvironmentVariable("FOSSIL_BENCH_NODE_DLL") ?? Path.Combine(AppContext.BaseDirectory, "Fossil.Kv.Node.dll"), "--urls", $"http://127.0.0.1:{port}",
            $"--Fossil:Etcd:Endpoints={endpoints}", $"--Fossil:RootPrefix={prefix}", $"--Fossil:Segment:Partitions={partitions}",
            $"--Fossil:Segment:Directory={Path.Combine(Path.GetTempPath(), "fossil-bench-" + prefix.Trim('/'))}",
            "--Logging:LogLevel:Default=Warning",
        })
            start.ArgumentList.Add(arg);
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, e) => { if (e.Data is { } line) Console.Error.WriteLine($"  node: {line}"); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static async Task WaitReadyAsync(Process node, IPEndPoint address)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(60))
        {
            if (node.HasExited) throw new InvalidOperationException($"the node exited with {node.ExitCode}");
            try
            {
                using var response = await http.GetAsync(new Uri($"http://{address}/health/ready"));
                if (response.IsSuccessStatusCode) return;
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }
            await Task.Delay(100);
        }
        throw new TimeoutException("the node did not become ready within 60 s");
    }

    private static void Print(List<Row> rows)
    {
        var inv = CultureInfo.InvariantCulture;
        Console.WriteLine();
        Console.WriteLine("| workload | clients | requests/s | ÷ raw Puts | p50 ms | p99 ms | p50 ÷ raw | node cores | node CPU µs/request | client cores | etcd cores |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in rows)
        {
            var raw = rows.First(x => x.Workload == "Put (raw)" && x.Concurrency == r.Concurrency);
            Console.WriteLine(string.Create(inv,
                $"| {r.Workload} | {r.Concurrency} | {r.OpsPerSecond:N0} | {r.OpsPerSecond / raw.OpsPerSecond:F2}× | {r.P50Ms:F2} | {r.P99Ms:F2} | {r.P50Ms / raw.P50Ms:F2}× | " +
                $"{(r.Workload.Contains("HTTP", StringComparison.Ordinal) ? $"{r.NodeCores:F2} | {r.NodeCpuUsPerEvent:F0}" : " | ")} | {r.ClientCores:F2} | {r.EtcdCores:F2} |"));
        }
        Console.WriteLine();
        Console.WriteLine("Goals (over HTTP, against raw Puts at the same concurrency):");
        Goal("16 clients, requests/s ≥ 2× raw Puts/s", Find(rows, 16), r => r.Http.OpsPerSecond / r.Raw.OpsPerSecond, 2.0, atMost: false);
        Goal("64 clients, requests/s ≥ 1× raw Puts/s", Find(rows, 64), r => r.Http.OpsPerSecond / r.Raw.OpsPerSecond, 1.0, atMost: false);
        Goal("1 client, p50 ≤ 1.5× a raw Put's p50", Find(rows, 1), r => r.Http.P50Ms / r.Raw.P50Ms, 1.5, atMost: true);
    }

    private static (Row Raw, Row Http)? Find(List<Row> rows, int concurrency)
    {
        var raw = rows.FirstOrDefault(r => r.Workload == "Put (raw)" && r.Concurrency == concurrency);
        var http = rows.FirstOrDefault(r => r.Workload == "Append over HTTP" && r.Concurrency == concurrency);
        return raw is null || http is null ? null : (raw, http);
    }

    private static void Goal(string name, (Row Raw, Row Http)? pair, Func<(Row Raw, Row Http), double> ratio, double target, bool atMost)
    {
        if (pair is not { } p) return;
        var measured = ratio(p);
        var met = atMost ? measured <= target : measured >= target;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  [{(met ? "met" : "NOT met")}] {name}: {measured:F2}×"));
    }
}
