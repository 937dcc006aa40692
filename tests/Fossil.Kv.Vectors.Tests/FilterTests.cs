using Fossil.Kv.Vectors;

namespace Fossil.Kv.Vectors.Tests;

[Collection(ClusteredGroup.Name)]
public sealed class FilterTests(ClusteredFixture fixture)
{
    [Theory]
    [InlineData(2)]
    [InlineData(10)]
    [InlineData(100)]
    public void filters_return_only_matching_labels_with_high_recall(int modulus)
    {
        var index = fixture.Indexes[VectorMetric.L2];
        bool Filter(long label) => label % modulus == 1;

        foreach (var query in fixture.Queries.Take(50))
        {
            var results = index.Search(query, 10, filter: Filter);
            Assert.Equal(10, results.Count);
            Assert.All(results, m => Assert.True(Filter(m.Label), $"label {m.Label} does not pass the filter"));
        }
        var recall = TestData.Recall(index, fixture.Exact[VectorMetric.L2], fixture.Queries.Take(50).ToArray(), 10, filter: Filter);
        Assert.True(recall >= 0.9, $"filtered recall@10 (1 in {modulus}) was {recall:0.000}");
    }

    [Fact]
    public void a_filter_matching_nothing_returns_nothing()
    {
        var index = fixture.Indexes[VectorMetric.Cosine];

        Assert.Empty(index.Search(fixture.Queries[0], 10, filter: _ => false));
    }

    [Fact]
    public void a_filter_matching_one_label_finds_it()
    {
        var index = fixture.Indexes[VectorMetric.InnerProduct];

        var match = Assert.Single(index.Search(fixture.Queries[0], 10, filter: l => l == 12_345));
        Assert.Equal(12_345, match.Label);
    }

    [Fact]
    public void mapped_index_filters_the_same_way()
    {
        using var dir = new TempDirectory();
        var index = fixture.Indexes[VectorMetric.L2];
        index.Save(dir.Path);
        using var mapped = MappedHnswIndex.Open(dir.Path);

        foreach (var query in fixture.Queries.Take(20))
            Assert.Equal(index.Search(query, 10, filter: l => l % 7 == 0), mapped.Search(query, 10, filter: l => l % 7 == 0));
    }

    [Fact]
    public void brute_force_applies_the_filter()
    {
        var exact = fixture.Exact[VectorMetric.L2];

        var results = exact.Search(fixture.Queries[1], 20, filter: l => l < 100);

        Assert.Equal(20, results.Count);
        Assert.All(results, m => Assert.InRange(m.Label, 0, 99));
    }
}
