using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Fossil.Kv.Vectors;
using Fossil.Kv.Vectors.Benchmarks;

// Recall and single-thread throughput of Fossil.Kv.Vectors' HNSW on .fvecs files, printed as JSON,
// comparable line for line with scripts/hnswlib_bench.py. Usage: see Usage() below.
try
{
    return args.Length > 0 && args[0] == "generate" ? Generate(new Options(args[1..])) : Run(new Options(args.Length > 0 && args[0] == "run" ? args[1..] : args));
}
catch (Exception e) when (e is ArgumentException or IOException or FormatException)
{
    Console.Error.WriteLine($"error: {e.Message}");
    Console.Error.WriteLine(Usage());
    return 2;
}

static string Usage() => """
    usage:
      Fossil.Kv.Vectors.Benchmarks generate --out DIR [--n 100000] [--queries 1000] [--dim 128] [--clusters 100] [--spread 3] [--seed 1]
          writes DIR/base.fvecs and DIR/query.fvecs: Gaussian clusters (centers N(0, spread^2), points N(center, 1))
      Fossil.Kv.Vectors.Benchmarks [run] --base F.fvecs --query F.fvecs [--gt F.ivecs] [--m 16] [--ef-construction 200]
          [--ef 16,32,64,128,256] [--k 10] [--metric l2|cosine|ip] [--seed 42] [--min-seconds 1]
          --gt: read when the file exists, else computed exactly (brute force) and written there
    """;

static int Generate(Options o)
{
    var dir = o.Require("out");
    var n = o.Int("n", 100_000);
    var queries = o.Int("queries", 1_000);
    var dim = o.Int("dim", 128);
    var clusters = o.Int("clusters", 100);
    var spread = o.Double("spread", 3);
    var random = new Random(o.Int("seed", 1));
    var centers = new float[clusters][];
    for (var c = 0; c < clusters; c++)
    {
        centers[c] = new float[dim];
        for (var i = 0; i < dim; i++)
            centers[c][i] = (float)(Gaussian(random) * spread);
    }
    float[][] Points(int count)
    {
        var rows = new float[count][];
        for (var r = 0; r < count; r++)
        {
            var center = centers[random.Next(clusters)];
            rows[r] = new float[dim];
            for (var i = 0; i < dim; i++)
                rows[r][i] = center[i] + (float)Gaussian(random);
        }
        return rows;
    }
    Directory.CreateDirectory(dir);
    VecFiles.WriteFvecs(Path.Combine(dir, "base.fvecs"), Points(n));
    VecFiles.WriteFvecs(Path.Combine(dir, "query.fvecs"), Points(queries));
    Console.WriteLine(JsonSerializer.Serialize(new { dir, n, queries, dim, clusters, spread }));
    return 0;
}

static double Gaussian(Random random)
{
    var u1 = 1.0 - random.NextDouble();
    var u2 = random.NextDouble();
    return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
}

static int Run(Options o)
{
    var basePath = o.Require("base");
    var queryPath = o.Require("query");
    var gtPath = o.String("gt");
    var m = o.Int("m", 16);
    var efConstruction = o.Int("ef-construction", 200);
    var efs = o.String("ef") is { } list ? list.Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray() : [16, 32, 64, 128, 256];
    var k = o.Int("k", 10);
    var metric = o.String("metric") switch
    {
        null or "l2" => VectorMetric.L2,
        "cosine" => VectorMetric.Cosine,
        "ip" => VectorMetric.InnerProduct,
        var other => throw new ArgumentException($"unknown metric '{other}' (l2, cosine or ip)"),
    };
    var seed = o.Int("seed", 42);
    var minSeconds = o.Double("min-seconds", 1);

    var data = VecFiles.ReadFvecs(basePath);
    var queries = VecFiles.ReadFvecs(queryPath);
    var dim = data[0].Length;

    int[][] truth;
    if (gtPath is not null && File.Exists(gtPath))
        truth = VecFiles.ReadIvecs(gtPath);
    else
    {
        truth = GroundTruth(data, queries, metric, Math.Max(k, 100));
        if (gtPath is not null)
            VecFiles.WriteIvecs(gtPath, truth);
    }
    if (truth.Length != queries.Length || truth.Any(t => t.Length < k))
        throw new ArgumentException($"ground truth has {truth.Length} rows for {queries.Length} queries or fewer than k={k} ids per row");

    using var index = new HnswIndex(dim, metric, new HnswParameters(m, efConstruction, efs[0], seed), data.Length);
    // Wall clock is the headline; process CPU time is reported too because the machine is shared.
    var process = Process.GetCurrentProcess();
    var buildCpu = process.TotalProcessorTime;
    var build = Stopwatch.StartNew();
    for (var i = 0; i < data.Length; i++)
        index.Add(i, data[i]);
    build.Stop();
    process.Refresh();
    buildCpu = process.TotalProcessorTime - buildCpu;

    var results = new List<object>();
    foreach (var ef in efs)
    {
        // Warm-up pass (also the recall pass), then timed passes for at least minSeconds.
        var hits = 0;
        for (var q = 0; q < queries.Length; q++)
        {
            var found = index.Search(queries[q], k, ef);
            var expected = truth[q].AsSpan(0, k);
            foreach (var match in found)
            {
                if (expected.Contains((int)match.Label))
                    hits++;
            }
        }
        process.Refresh();
        var cpu = process.TotalProcessorTime;
        var timer = Stopwatch.StartNew();
        long done = 0;
        while (timer.Elapsed.TotalSeconds < minSeconds)
        {
            for (var q = 0; q < queries.Length; q++)
                index.Search(queries[q], k, ef);
            done += queries.Length;
        }
        timer.Stop();
        process.Refresh();
        cpu = process.TotalProcessorTime - cpu;
        results.Add(new
        {
            ef,
            recall = Math.Round((double)hits / (queries.Length * k), 4),
            qps = Math.Round(done / timer.Elapsed.TotalSeconds, 1),
            qps_cpu = Math.Round(done / cpu.TotalSeconds, 1),
        });
    }

    var report = new
    {
        implementation = "Fossil.Kv.Vectors",
        n = data.Length,
        dim,
        queries = queries.Length,
        metric = o.String("metric") ?? "l2",
        m,
        ef_construction = efConstruction,
        k,
        simd = System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated ? "Vector512" : System.Runtime.Intrinsics.Vector256.IsHardwareAccelerated ? "Vector256" : "Vector128",
        build_seconds = Math.Round(build.Elapsed.TotalSeconds, 3),
        build_vectors_per_second = Math.Round(data.Length / build.Elapsed.TotalSeconds, 1),
        build_cpu_vectors_per_second = Math.Round(data.Length / buildCpu.TotalSeconds, 1),
        results,
    };
    Console.WriteLine(JsonSerializer.Serialize(report));
    return 0;
}

static int[][] GroundTruth(float[][] data, float[][] queries, VectorMetric metric, int k)
{
    using var exact = new BruteForceIndex(data[0].Length, metric, data.Length);
    for (var i = 0; i < data.Length; i++)
        exact.Add(i, data[i]);
    var truth = new int[queries.Length][];
    var kk = Math.Min(k, data.Length);
    Parallel.For(0, queries.Length, q =>
    {
        var found = exact.Search(queries[q], kk);
        truth[q] = found.Select(f => (int)f.Label).ToArray();
    });
    return truth;
}

/// <summary><c>--name value</c> pairs.</summary>
internal sealed class Options
{
    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);

    public Options(string[] args)
    {
        for (var i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
                throw new ArgumentException($"expected '--name value', got '{args[i]}'");
            _values[args[i][2..]] = args[++i];
        }
    }

    public string? String(string name) => _values.GetValueOrDefault(name);

    public string Require(string name) => String(name) ?? throw new ArgumentException($"--{name} is required");

    public int Int(string name, int fallback) =>
        String(name) is { } s ? int.Parse(s, CultureInfo.InvariantCulture) : fallback;

    public double Double(string name, double fallback) =>
        String(name) is { } s ? double.Parse(s, CultureInfo.InvariantCulture) : fallback;
}
