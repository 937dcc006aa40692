// Fossil.Kv benchmarks against a real etcd (docs/benchmarks.md).
//   dotnet run -c Release --project tests/Fossil.Kv.Benchmarks -- append [--endpoints URL] [--seconds 5] [--warmup 2]
//       [--concurrency 1,16,64,256] [--partitions 4] [--etcd-pid PID] [--json FILE|-]
//   dotnet run -c Release --project tests/Fossil.Kv.Benchmarks -- segments [--events 100000] [--evict 1000,10000,100000]
//   dotnet run -c Release --project tests/Fossil.Kv.Benchmarks -- http [--seconds 5] [--warmup 2] [--concurrency 1,16,64] [--partitions 2]
//   dotnet run -c Release --project tests/Fossil.Kv.Benchmarks -- search [--events 20000] [--dimension 128] [--queries 200] [--k 10]
// Without --endpoints it starts its own single etcd member (data in a temp dir on the local disk).
using System.Globalization;
using Fossil.Kv.Benchmarks;

if (args.Length > 0 && args[0] == "segments")
    return await SegmentBenchmark.RunAsync(int.Parse(Arg("--events") ?? "100000", CultureInfo.InvariantCulture), Ints(Arg("--evict") ?? "1000,10000,100000"));

if (args.Length > 0 && args[0] == "search")
{
    return await SearchBenchmark.RunAsync(int.Parse(Arg("--events") ?? "20000", CultureInfo.InvariantCulture), int.Parse(Arg("--dimension") ?? "128", CultureInfo.InvariantCulture),
        int.Parse(Arg("--queries") ?? "200", CultureInfo.InvariantCulture), int.Parse(Arg("--k") ?? "10", CultureInfo.InvariantCulture));
}

if (args.Length == 0 || args[0] is not ("append" or "http"))
{
    Console.Error.WriteLine("usage: Fossil.Kv.Benchmarks append|http [--endpoints URL] [--seconds N] [--warmup N] [--concurrency 1,16,64,256] [--partitions 4[,8...]] [--etcd-pid PID] [--json FILE|-]");
    return 2;
}

var http = args[0] == "http";
var options = new AppendBenchmarkOptions
{
    Endpoints = Arg("--endpoints"),
    Seconds = double.Parse(Arg("--seconds") ?? "5", CultureInfo.InvariantCulture),
    WarmupSeconds = double.Parse(Arg("--warmup") ?? "2", CultureInfo.InvariantCulture),
    Concurrencies = Ints(Arg("--concurrency") ?? (http ? "1,16,64" : "1,16,64,256")),
    Partitions = Ints(Arg("--partitions") ?? (http ? "2" : "4")),
    EtcdPid = Arg("--etcd-pid") is { } pid ? int.Parse(pid, CultureInfo.InvariantCulture) : null,
    Json = Arg("--json"),
};
return http ? await HttpBenchmark.RunAsync(options) : await AppendBenchmark.RunAsync(options);

string? Arg(string name)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}

static int[] Ints(string list) => [.. list.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(s => int.Parse(s, CultureInfo.InvariantCulture))];
