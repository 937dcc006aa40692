using System.Collections.Concurrent;
using Fossil.Kv.Vectors;

namespace Fossil.Kv.Vectors.Tests;

public sealed class ConcurrencyTests
{
    private const int Writers = 4;
    private const int PerWriter = 1500;
    private const int Dimension = 32;

    [Fact]
    public async Task concurrent_adds_and_searches_stay_consistent()
    {
        var data = TestData.Clustered(Writers * PerWriter, Dimension, clusters: 20, seed: 21);
        // Tiny initial capacity: the arrays grow many times while searches are running.
        using var index = new HnswIndex(Dimension, VectorMetric.L2, new HnswParameters(EfConstruction: 100), initialCapacity: 16);
        var added = new ConcurrentDictionary<long, bool>();
        using var stop = new CancellationTokenSource();
        // Writers start only once every searcher is searching, so the two really overlap.
        using var searching = new CountdownEvent(2);
        long searchesDuringBuild = 0;
        long missedRightAfterAdd = 0;

        // Dedicated threads: on two cores the pool would otherwise run the writers first.
        var searchers = Enumerable.Range(0, 2).Select(s => Task.Factory.StartNew(() =>
        {
            var random = new Random(s);
            var signalled = false;
            while (!stop.IsCancellationRequested)
            {
                var countBefore = index.Count;
                var query = data[random.Next(data.Length)];
                var results = index.Search(query, 10, ef: 32);
                for (var i = 0; i < results.Count; i++)
                {
                    var label = results[i].Label;
                    Assert.InRange(label, 0, data.Length - 1);
                    // A result's distance is the true distance to the vector stored under its label.
                    RecallTests.AssertClose(RecallTests.NaiveDistance(VectorMetric.L2, query, data[label]), results[i].Distance);
                    if (i > 0)
                        Assert.True(results[i - 1].Distance <= results[i].Distance);
                }
                if (countBefore > 0 && countBefore < data.Length)
                    Interlocked.Increment(ref searchesDuringBuild);
                if (!signalled)
                {
                    signalled = true;
                    searching.Signal();
                }
            }
        }, TaskCreationOptions.LongRunning)).ToArray();

        var writers = Enumerable.Range(0, Writers).Select(w => Task.Factory.StartNew(() =>
        {
            searching.Wait();
            for (var i = w; i < data.Length; i += Writers)
            {
                index.Add(i, data[i]);
                added[i] = true;
                // Read-your-write: once Add returns, the vector is searchable (counted, see below).
                if (i % 50 == 0 && !index.Search(data[i], 1, ef: 64, filter: l => l == i).Any(m => m.Label == i))
                    Interlocked.Increment(ref missedRightAfterAdd);
            }
        }, TaskCreationOptions.LongRunning)).ToArray();

        await Task.WhenAll(writers);
        await stop.CancelAsync();
        await Task.WhenAll(searchers);

        Assert.Equal(data.Length, index.Count);
        Assert.True(Interlocked.Read(ref searchesDuringBuild) > 0, "no search ran while the index was being built");
        // Reachability: a filter admitting only one label makes the search walk the graph until it finds it.
        // HNSW (hnswlib too) does not promise every node stays reachable: pruning a full neighbour list can
        // leave a node without incoming links, rarely. A broken concurrent build loses many; allow a handful.
        var unreachable = 0;
        for (var i = 0; i < data.Length; i++)
        {
            var label = i;
            var hits = index.Search(data[i], 1, ef: 1, filter: l => l == label);
            if (hits.Count == 0) { unreachable++; continue; }
            Assert.Equal(label, hits[0].Label);
            Assert.Equal(0f, hits[0].Distance);
        }
        Assert.True(unreachable <= data.Length / 500, $"{unreachable} of {data.Length} labels are unreachable");
        Assert.True(Interlocked.Read(ref missedRightAfterAdd) <= 2, $"{missedRightAfterAdd} vectors were not found right after their Add");
        using var exact = TestData.Exact(data, VectorMetric.L2);
        var recall = TestData.Recall(index, exact, data.Where((_, i) => i % 37 == 0).ToArray(), 10);
        Assert.True(recall >= 0.95, $"recall@10 of the concurrently built graph was {recall:0.000}");
    }

    [Fact]
    public async Task the_same_label_added_from_many_threads_is_stored_once()
    {
        using var index = new HnswIndex(4, VectorMetric.L2, new HnswParameters());
        using var start = new ManualResetEventSlim();
        var outcomes = await Task.WhenAll(Enumerable.Range(0, 8).Select(t => Task.Run(() =>
        {
            start.Wait();
            try
            {
                index.Add(7, new float[] { t, 1, 2, 3 });
                return true;
            }
            catch (ArgumentException)
            {
                return false;
            }
        })).Append(Task.Run(() =>
        {
            start.Set();
            return false;
        })));

        Assert.Equal(1, outcomes.Count(ok => ok));
        Assert.Equal(1, index.Count);
    }

    [Fact]
    public async Task searches_racing_dispose_end_cleanly()
    {
        var data = TestData.Clustered(2000, 16, clusters: 4, seed: 5);
        var index = TestData.Build(data, VectorMetric.L2, new HnswParameters(EfConstruction: 32));
        using var started = new ManualResetEventSlim();
        var searcher = Task.Run(() =>
        {
            var n = 0;
            while (true)
            {
                try
                {
                    index.Search(data[n++ % data.Length], 5);
                    started.Set();
                }
                catch (ObjectDisposedException)
                {
                    return;
                }
            }
        });
        started.Wait();

        index.Dispose();

        await searcher; // only ObjectDisposedException, and the loop ends
        Assert.Throws<ObjectDisposedException>(() => index.Add(1_000_000, data[0]));
    }
}
