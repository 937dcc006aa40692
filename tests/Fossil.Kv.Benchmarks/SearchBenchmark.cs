using System.Diagnostics;
using System.Globalization;
using Fossil.Kv.Etcd;
using Fossil.Kv.Testing;
using Fossil.Kv.Vectors;

namespace Fossil.Kv.Benchmarks;

/// <summary>
/// <c>EventStore.SearchAsync</c> over one sealed, materialized segment and one active segment (in-memory index),
/// beside one in-memory <see cref="HnswIndex"/> holding all the same vectors, in one run: recall@k against brute
/// force and single-thread queries/s for both, plus the first query's cost (follower catch-up).
/// </summary>
internal static class SearchBenchmark
{
    public static async Task<int> RunAsync(int events, int dimension, int queries, int k)
    {
        await using var cluster = await EtcdCluster.StartAsync(1);
        var endpoints = cluster.ClientUrls.Select(u => u.AbsoluteUri.TrimEnd('/')).ToArray();
        var directory = Directory.CreateTempSubdirectory("fossil-bench-search-").FullName;
        try
        {
            Console.WriteLine($"etcd {string.Join(",", endpoints)}; {Environment.ProcessorCount} cores; {events:N0} events with {dimension}-d vectors, " +
                $"half in a sealed materialized segment, half in an active one; {queries} queries, k={k}, cosine, M=16, efConstruction=200, ef=100");
            var data = Clustered(events + queries, dimension, clusters: 50, seed: 7);
            var options = new FossilOptions { RootPrefix = $"/bench-search-{Guid.NewGuid():N}", Etcd = new EtcdClientOptions { Endpoints = endpoints } };
            options.Segment.Partitions = 1;
            options.Segment.Directory = directory;
            await using var store = await EventStore.ConnectAsync(options);
            var half = events / 2;
            var sealedSegment = await AppendAsync(store, data, 0, half);
            await store.SealSegmentAsync(sealedSegment);
            var watch = Stopwatch.StartNew();
            await store.MaterializeSegmentAsync(sealedSegment);
            var materialize = watch.Elapsed;
            await AppendAsync(store, data, half, events);

            var queryVectors = data[events..];
            watch.Restart();
            await store.SearchAsync(new VectorSearchQuery(queryVectors[0], k));
            var first = watch.Elapsed;

            using var exact = new BruteForceIndex(dimension, VectorMetric.Cosine);
            using var single = new HnswIndex(dimension, VectorMetric.Cosine, new HnswParameters());
            var written = new Dictionary<Guid, long>();
            var label = 0L;
            await foreach (var e in store.ReadAllAsync(Position.Start))
            {
                exact.Add(label, e.Vector!);
                single.Add(label, e.Vector!);
                written[e.Id] = label++;
            }
            var truth = queryVectors.Select(q => exact.Search(q, k).Select(m => m.Label).ToHashSet()).ToArray();

            var storeRecall = 0.0;
            var storeRate = await MeasureAsync(async i =>
            {
                var results = await store.SearchAsync(new VectorSearchQuery(queryVectors[i], k));
                return results.Count(r => truth[i].Contains(written[r.Event.Id]));
            }, queries, found => storeRecall = found);
            var indexRecall = 0.0;
            var indexRate = await MeasureAsync(i => Task.FromResult(single.Search(queryVectors[i], k, 100).Count(m => truth[i].Contains(m.Label))), queries, found => indexRecall = found);

            Console.WriteLine();
            Console.WriteLine($"| search of {events:N0} vectors, single thread | recall@{k} | queries/s | ÷ one HnswIndex |");
            Console.WriteLine("|---|---:|---:|---:|");
            Console.WriteLine(Row("one in-memory HnswIndex of every vector (baseline)", indexRecall / (queries * k), indexRate, 1));
            Console.WriteLine(Row("EventStore.SearchAsync (sealed files + active in-memory index)", storeRecall / (queries * k), storeRate, storeRate / indexRate));
            Console.WriteLine();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"materializing the sealed half: {materialize.TotalSeconds:F2} s; first query (follower catch-up of the active half): {first.TotalSeconds:F2} s"));
            return 0;
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>One warm-up pass, then repeated passes for at least a second; returns queries/s and reports the hits of one pass.</summary>
    private static async Task<double> MeasureAsync(Func<int, Task<int>> query, int queries, Action<double> reportHits)
    {
        var hits = 0;
        for (var i = 0; i < queries; i++) hits += await query(i);
        reportHits(hits);
        var done = 0;
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < TimeSpan.FromSeconds(1))
        {
            for (var i = 0; i < queries; i++) await query(i);
            done += queries;
        }
        return done / watch.Elapsed.TotalSeconds;
    }

    private static async Task<string> AppendAsync(EventStore store, float[][] data, int from, int to)
    {
        string? segment = null;
        for (var start = from; start < to; start += 100)
        {
            var batch = Enumerable.Range(start, Math.Min(100, to - start)).Select(i => new EventData(null, "doc", "{}"u8.ToArray()) { Vector = data[i] }).ToArray();
            segment = (await store.AppendToStreamAsync($"docs-{start / 100 % 10}", StreamState.Any, batch)).Segment;
        }
        return segment!;
    }

    private static float[][] Clustered(int count, int dimension, int clusters, int seed)
    {
        var random = new Random(seed);
        var centers = Enumerable.Range(0, clusters).Select(_ => Enumerable.Range(0, dimension).Select(_ => (float)(Gaussian(random) * 3)).ToArray()).ToArray();
        return [.. Enumerable.Range(0, count).Select(_ => centers[random.Next(clusters)].Select(c => c + (float)Gaussian(random)).ToArray())];
    }

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

    private static string Row(string what, double recall, double rate, double ratio) =>
        string.Create(CultureInfo.InvariantCulture, $"| {what} | {recall:F3} | {rate:N0} | {ratio:F2}× |");
}
