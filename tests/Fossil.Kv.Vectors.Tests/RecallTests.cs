using Fossil.Kv.Vectors;

namespace Fossil.Kv.Vectors.Tests;

/// <summary>One 20k × 64-d clustered data set with an HNSW and an exact index per metric, built once.</summary>
public sealed class ClusteredFixture : IDisposable
{
    public const int Count = 20_000;
    public const int Dimension = 64;

    public ClusteredFixture()
    {
        Data = TestData.Clustered(Count, Dimension, clusters: 40, seed: 7);
        Queries = TestData.Clustered(200, Dimension, clusters: 40, seed: 7).Select((q, i) => q.Select(x => x + (0.01f * i)).ToArray()).ToArray();
        var metrics = Enum.GetValues<VectorMetric>();
        var built = new HnswIndex[metrics.Length];
        // Two cores: build the metrics side by side.
        Parallel.For(0, metrics.Length, i => built[i] = TestData.Build(Data, metrics[i]));
        for (var i = 0; i < metrics.Length; i++)
        {
            Indexes[metrics[i]] = built[i];
            Exact[metrics[i]] = TestData.Exact(Data, metrics[i]);
        }
    }

    public float[][] Data { get; }

    public float[][] Queries { get; }

    public Dictionary<VectorMetric, HnswIndex> Indexes { get; } = [];

    public Dictionary<VectorMetric, BruteForceIndex> Exact { get; } = [];

    public void Dispose()
    {
        foreach (var index in Indexes.Values)
            index.Dispose();
        foreach (var index in Exact.Values)
            index.Dispose();
    }
}

/// <summary>The classes sharing one <see cref="ClusteredFixture"/> (built once per test run).</summary>
[CollectionDefinition(Name)]
public sealed class ClusteredGroup : ICollectionFixture<ClusteredFixture>
{
    public const string Name = "clustered";
}

[Collection(ClusteredGroup.Name)]
public sealed class RecallTests(ClusteredFixture fixture)
{
    [Theory]
    [InlineData(VectorMetric.L2)]
    [InlineData(VectorMetric.Cosine)]
    [InlineData(VectorMetric.InnerProduct)]
    public void recall_at_10_is_at_least_0_95_on_clustered_data(VectorMetric metric)
    {
        var recall = TestData.Recall(fixture.Indexes[metric], fixture.Exact[metric], fixture.Queries, k: 10);

        Assert.True(recall >= 0.95, $"recall@10 for {metric} was {recall:0.000}");
    }

    [Theory]
    [InlineData(VectorMetric.L2)]
    [InlineData(VectorMetric.Cosine)]
    public void recall_grows_with_ef(VectorMetric metric)
    {
        var low = TestData.Recall(fixture.Indexes[metric], fixture.Exact[metric], fixture.Queries, k: 10, ef: 10);
        var high = TestData.Recall(fixture.Indexes[metric], fixture.Exact[metric], fixture.Queries, k: 10, ef: 200);

        Assert.True(high >= low, $"ef=200 recall {high:0.000} < ef=10 recall {low:0.000}");
        Assert.True(high >= 0.98, $"ef=200 recall was {high:0.000}");
    }

    [Theory]
    [InlineData(VectorMetric.L2)]
    [InlineData(VectorMetric.Cosine)]
    [InlineData(VectorMetric.InnerProduct)]
    public void results_are_sorted_nearest_first_with_exact_distances(VectorMetric metric)
    {
        var index = fixture.Indexes[metric];
        foreach (var query in fixture.Queries.Take(50))
        {
            var results = index.Search(query, 10);
            Assert.Equal(10, results.Count);
            for (var i = 0; i < results.Count; i++)
            {
                var expected = NaiveDistance(metric, query, fixture.Data[results[i].Label]);
                AssertClose(expected, results[i].Distance);
                if (i > 0)
                    Assert.True(results[i - 1].Distance <= results[i].Distance);
            }
        }
    }

    [Theory]
    [InlineData(VectorMetric.L2)]
    [InlineData(VectorMetric.Cosine)]
    [InlineData(VectorMetric.InnerProduct)]
    public void brute_force_agrees_with_a_naive_scan(VectorMetric metric)
    {
        var exact = fixture.Exact[metric];
        foreach (var query in fixture.Queries.Take(10))
        {
            var expected = fixture.Data
                .Select((v, i) => (Label: (long)i, Distance: NaiveDistance(metric, query, v)))
                .OrderBy(x => x.Distance)
                .Take(5)
                .ToArray();
            var actual = exact.Search(query, 5);
            Assert.Equal(expected.Select(x => x.Label), actual.Select(x => x.Label));
            for (var i = 0; i < expected.Length; i++)
                AssertClose(expected[i].Distance, actual[i].Distance);
        }
    }

    [Fact]
    public void each_vector_finds_itself_first()
    {
        var index = fixture.Indexes[VectorMetric.L2];
        var missed = 0;
        for (var i = 0; i < fixture.Data.Length; i += 97)
        {
            var top = index.Search(fixture.Data[i], 1);
            if (top[0].Label != i || top[0].Distance != 0f)
                missed++;
        }
        Assert.Equal(0, missed);
    }

    internal static void AssertClose(float expected, float actual) =>
        Assert.True(Math.Abs(expected - actual) <= 1e-4 * Math.Max(1, Math.Abs(expected)), $"expected {expected}, got {actual}");

    internal static float NaiveDistance(VectorMetric metric, float[] a, float[] b)
    {
        double dot = 0, na = 0, nb = 0, l2 = 0;
        for (var i = 0; i < a.Length; i++)
        {
            dot += (double)a[i] * b[i];
            na += (double)a[i] * a[i];
            nb += (double)b[i] * b[i];
            l2 += ((double)a[i] - b[i]) * ((double)a[i] - b[i]);
        }
        return metric switch
        {
            VectorMetric.L2 => (float)l2,
            VectorMetric.InnerProduct => (float)(1 - dot),
            _ => (float)(1 - (dot / Math.Sqrt(na * nb))),
        };
    }
}
