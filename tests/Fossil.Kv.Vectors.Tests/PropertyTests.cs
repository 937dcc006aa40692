using Fossil.Kv.Vectors;
using FsCheck;
using FsCheck.Fluent;

namespace Fossil.Kv.Vectors.Tests;

public sealed class PropertyTests
{
    private static Gen<(int Count, int Dimension, VectorMetric Metric, int Seed)> Shapes(int maxCount) =>
        from count in Gen.Choose(1, maxCount)
        from dimension in Gen.Choose(1, 20)
        from metric in Gen.Elements(VectorMetric.L2, VectorMetric.Cosine, VectorMetric.InnerProduct)
        from seed in Gen.Choose(0, 100_000)
        select (count, dimension, metric, seed);

    /// <summary>
    /// When M exceeds the node count no list is ever pruned, so every insert's links survive and the
    /// graph stays connected; with ef above the count the search then visits every node and must equal
    /// brute force. (With pruning, hnswlib's heuristic can leave a node without in-links, so exactness is
    /// not a property of HNSW in general.)
    /// </summary>
    [Fact]
    public void search_is_exact_when_nothing_is_pruned()
    {
        var property = Prop.ForAll(Arb.From(Shapes(40)), t =>
        {
            var data = TestData.Clustered(t.Count, t.Dimension, clusters: 3, seed: t.Seed);
            using var hnsw = TestData.Build(data, t.Metric, new HnswParameters(M: 48, EfConstruction: 16, Seed: t.Seed));
            using var exact = TestData.Exact(data, t.Metric);
            var query = TestData.Clustered(1, t.Dimension, clusters: 3, seed: t.Seed + 1)[0];
            var k = Math.Min(5, t.Count);
            var expected = exact.Search(query, k).Select(m => m.Distance).ToArray();
            var actual = hnsw.Search(query, k, ef: 64).Select(m => m.Distance).ToArray();
            return expected.SequenceEqual(actual);
        });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(300), property);
    }

    /// <summary>For any M: results are nearest first, distinct, within k, and carry the true distance of their label.</summary>
    [Fact]
    public void results_are_sorted_distinct_and_carry_true_distances()
    {
        var gen =
            from shape in Shapes(200)
            from m in Gen.Choose(2, 8)
            from k in Gen.Choose(1, 20)
            select (shape, m, k);
        var property = Prop.ForAll(Arb.From(gen), t =>
        {
            var (shape, m, k) = t;
            var data = TestData.Clustered(shape.Count, shape.Dimension, clusters: 4, seed: shape.Seed);
            using var hnsw = TestData.Build(data, shape.Metric, new HnswParameters(M: m, EfConstruction: 20, Seed: shape.Seed));
            var query = TestData.Clustered(1, shape.Dimension, clusters: 4, seed: shape.Seed + 1)[0];
            var results = hnsw.Search(query, k, ef: 10);
            var ok = results.Count >= 1 && results.Count <= Math.Min(k, shape.Count)
                && results.Select(r => r.Label).Distinct().Count() == results.Count;
            for (var i = 0; ok && i < results.Count; i++)
            {
                var truth = RecallTests.NaiveDistance(shape.Metric, query, data[results[i].Label]);
                ok = Math.Abs(truth - results[i].Distance) <= 1e-4 * Math.Max(1, Math.Abs(truth))
                    && (i == 0 || results[i - 1].Distance <= results[i].Distance);
            }
            return ok;
        });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(200), property);
    }
}
