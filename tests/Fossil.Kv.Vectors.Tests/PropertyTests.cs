using Fossil.Kv.Vectors;
using FsCheck;
using FsCheck.Fluent;

namespace Fossil.Kv.Vectors.Tests;

public sealed class PropertyTests
{
    /// <summary>
    /// With ef above the node count the search never stops early, so on a metric HNSW must equal brute
    /// force. (Not asserted for inner product: it is no metric, and hnswlib's heuristic can leave a
    /// node without in-links there, as it does in hnswlib.)
    /// </summary>
    [Fact]
    public void small_indexes_answer_exactly_when_ef_exceeds_the_count()
    {
        var gen =
            from count in Gen.Choose(1, 40)
            from dimension in Gen.Choose(1, 20)
            from metric in Gen.Elements(VectorMetric.L2, VectorMetric.Cosine)
            from seed in Gen.Choose(0, 1000)
            select (count, dimension, metric, seed);
        var property = Prop.ForAll(Arb.From(gen), t =>
        {
            var data = TestData.Clustered(t.count, t.dimension, clusters: 3, seed: t.seed);
            using var hnsw = TestData.Build(data, t.metric, new HnswParameters(M: 4, EfConstruction: 16, Seed: t.seed));
            using var exact = TestData.Exact(data, t.metric);
            var query = TestData.Clustered(1, t.dimension, clusters: 3, seed: t.seed + 1)[0];
            var k = Math.Min(5, t.count);
            var expected = exact.Search(query, k).Select(m => m.Distance).ToArray();
            var actual = hnsw.Search(query, k, ef: 64).Select(m => m.Distance).ToArray();
            return expected.SequenceEqual(actual) && hnsw.Count == t.count;
        });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(300), property);
    }
}
