// Throughput of Fossil.Kv.Etcd against a real etcd: Puts at several concurrencies and Txns of many
// Puts, with latency percentiles and the CPU that etcd and this process spend per operation.
//   dotnet run -c Release --project tests/Fossil.Kv.Etcd.Benchmarks -- [--endpoints URL] [--seconds 5]
using System.Diagnostics;
using System.Globalization;
using Etcdserverpb;
using Fossil.Kv.Etcd;
using Google.Protobuf;

var endpoints = Arg("--endpoints");
var seconds = double.Parse(Arg("--seconds") ?? "5", CultureInfo.InvariantCulture);
var etcdPid = Arg("--etcd-pid") is { } p ? int.Parse(p, CultureInfo.InvariantCulture) : (int?)null;
var only = Arg("--only");
var connections = int.Parse(Arg("--connections") ?? "4", CultureInfo.InvariantCulture);

Process? ownEtcd = null;
string? dataDir = null;
if (endpoints is null)
{
    (ownEtcd, endpoints, dataDir) = await StartEtcdAsync();
    etcdPid = ownEtcd.Id;
}

try
{
    await using var client = new EtcdClient(new EtcdClientOptions { Endpoints = [endpoints], ConnectionsPerEndpoint = connections });
    var value = UnsafeByteOperations.UnsafeWrap(new byte[256]);
    var run = Guid.NewGuid().ToString("N")[..8];
    Console.WriteLine($"etcd {endpoints} (pid {etcdPid?.ToString(CultureInfo.InvariantCulture) ?? "unknown"}), {seconds}s per row, {connections} HTTP/2 connections, {Environment.ProcessorCount} cores, values 256 B");

    // Warm up connections, JIT and etcd.
    await Measure("warmup", 16, TimeSpan.FromSeconds(1), 1, (w, i) => client.PutAsync(Key(run, "warm", w, i), value));

    var rows = new List<Row>();
    (string Name, int Concurrency, int KeysPerOp, string Reference)[] plan =
    [
        ("Put", 1, 1, "~800 puts/s"),
        ("Put", 16, 1, ""),
        ("Put", 64, 1, "~9,000 puts/s"),
        ("Put", 256, 1, "~13,000 puts/s"),
        // 16 keys in flight, as 16 closed-loop single-event appenders have at most: the most any group commit that writes
        // one key per event can get out of them, whatever its protocol (issue 4's 16-appender goal is 2x "Put x16").
        ("Txn of 16 Puts", 1, 16, "16 keys in flight"),
        ("Txn of 8 Puts", 2, 8, "16 keys in flight"),
        ("Txn of 4 Puts", 4, 4, "16 keys in flight"),
        ("Txn of 50 Puts", 16, 50, "~47,000-53,000 keys/s"),
        ("Txn of 50 Puts", 64, 50, "~47,000-53,000 keys/s"),
        ("Txn of 100 Puts", 16, 100, "~70,000 keys/s"),
        ("Txn of 100 Puts", 64, 100, ""),
        ("Range (1 key)", 1, 1, "~0.6 ms/call"),
    ];
    foreach (var (name, concurrency, keys, reference) in plan)
    {
        if (only is not null && !name.Contains(only, StringComparison.OrdinalIgnoreCase)) continue;
        var tag = $"{name[..3]}{concurrency}";
        Func<int, long, Task> op = name.StartsWith("Put", StringComparison.Ordinal)
            ? (w, i) => client.PutAsync(Key(run, tag, w, i), value)
            : name.StartsWith("Range", StringComparison.Ordinal)
                ? (w, i) => client.GetAsync(Key(run, "warm", 0, 0))
                : (w, i) => client.TxnAsync(Txn(run, tag, w, i, keys, value));
        rows.Add(await Measure($"{name} x{concurrency}", concurrency, TimeSpan.FromSeconds(seconds), keys, op, reference));
    }

    Console.WriteLine();
    Console.WriteLine("| workload | concurrency | ops/s | keys/s | p50 ms | p99 ms | etcd CPU µs/op | client CPU µs/op | ETCD-NOTES.md |");
    Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---|");
    foreach (var r in rows)
    {
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {r.Name} | {r.Concurrency} | {r.OpsPerSecond:N0} | {r.KeysPerSecond:N0} | {r.P50:F2} | {r.P99:F2} | {Fmt(r.EtcdCpuPerOp)} | {r.ClientCpuPerOp:F0} | {r.Reference} |"));
    }
}
finally
{
    if (ownEtcd is not null)
    {
        ownEtcd.Kill();
        await ownEtcd.WaitForExitAsync();
        ownEtcd.Dispose();
        try { Directory.Delete(dataDir!, recursive: true); } catch (IOException) { }
    }
}

static string Fmt(double? v) => v is { } x ? x.ToString("F0", CultureInfo.InvariantCulture) : "n/a";

string? Arg(string name)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}

static ByteString Key(string run, string tag, int worker, long i) =>
    ByteString.CopyFromUtf8(string.Create(CultureInfo.InvariantCulture, $"/bench/{run}/{tag}/{worker}/{i}"));

static TxnRequest Txn(string run, string tag, int worker, long i, int keys, ByteString value)
{
    var txn = new TxnRequest();
    for (var k = 0; k < keys; k++)
        txn.Success.Add(new RequestOp { RequestPut = new PutRequest { Key = Key(run, tag, worker, (i * keys) + k), Value = value } });
    return txn;
}

async Task<Row> Measure(string name, int concurrency, TimeSpan duration, int keysPerOp, Func<int, long, Task> op, string reference = "")
{
    var latencies = new List<double>[concurrency];
    var etcdCpu0 = EtcdCpu();
    var self = Process.GetCurrentProcess();
    var clientCpu0 = self.TotalProcessorTime;
    var clock = Stopwatch.StartNew();
    var workers = Enumerable.Range(0, concurrency).Select(w => Task.Run(async () =>
    {
        var mine = latencies[w] = new List<double>(4096);
        for (long i = 0; clock.Elapsed < duration; i++)
        {
            var started = Stopwatch.GetTimestamp();
            await op(w, i);
            mine.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
    })).ToArray();
    await Task.WhenAll(workers);
    var elapsed = clock.Elapsed.TotalSeconds;
    self.Refresh();
    var clientCpu = (self.TotalProcessorTime - clientCpu0).TotalMilliseconds * 1000;
    var etcdCpu = EtcdCpu() - etcdCpu0;

    var all = latencies.SelectMany(l => l).Order().ToArray();
    var ops = all.Length;
    var row = new Row(name, concurrency, ops / elapsed, ops * keysPerOp / elapsed,
        all[(int)(ops * 0.50)], all[Math.Min(ops - 1, (int)(ops * 0.99))],
        etcdCpu is { } e ? e / ops : null, clientCpu / ops, reference);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name,-24} {row.OpsPerSecond,10:N0} ops/s {row.KeysPerSecond,10:N0} keys/s  p50 {row.P50:F2} ms  p99 {row.P99:F2} ms"));
    return row;
}

double? EtcdCpu() => Fossil.Kv.Testing.ProcessCpu.Microseconds(etcdPid);

static async Task<(Process, string, string)> StartEtcdAsync()
{
    var dir = Path.Combine(Path.GetTempPath(), "fossil-etcd-bench-" + Guid.NewGuid().ToString("N")[..8]);
    Directory.CreateDirectory(dir);
    int Free()
    {
        using var l = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        l.Start();
        return ((System.Net.IPEndPoint)l.LocalEndpoint).Port;
    }

    var client = $"http://127.0.0.1:{Free()}";
    var peer = $"http://127.0.0.1:{Free()}";
    var start = new ProcessStartInfo("etcd")
    {
        ArgumentList =
        {
            "--name", "bench", "--data-dir", Path.Combine(dir, "data"),
            "--listen-client-urls", client, "--advertise-client-urls", client,
            "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
            "--initial-cluster", $"bench={peer}", "--log-level", "error", "--logger", "zap",
        },
        RedirectStandardError = true,
        RedirectStandardOutput = true,
        UseShellExecute = false,
    };
    var process = Process.Start(start)!;
    process.ErrorDataReceived += (_, _) => { };
    process.OutputDataReceived += (_, _) => { };
    process.BeginErrorReadLine();
    process.BeginOutputReadLine();
    await using var probe = new EtcdClient(new EtcdClientOptions { Endpoints = [client] });
    var deadline = DateTime.UtcNow.AddSeconds(30);
    while (true)
    {
        try
        {
            await probe.StatusAsync(client);
            return (process, client, dir);
        }
        catch (EtcdException) when (DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }
    }
}

internal sealed record Row(string Name, int Concurrency, double OpsPerSecond, double KeysPerSecond, double P50, double P99, double? EtcdCpuPerOp, double ClientCpuPerOp, string Reference);
