using Fossil.Kv.Vectors;

namespace Fossil.Kv.Vectors.Tests;

[Collection(ClusteredGroup.Name)]
public sealed class PersistenceTests(ClusteredFixture fixture)
{
    [Theory]
    [InlineData(VectorMetric.L2)]
    [InlineData(VectorMetric.Cosine)]
    [InlineData(VectorMetric.InnerProduct)]
    public void saved_index_opened_mapped_returns_identical_results(VectorMetric metric)
    {
        using var dir = new TempDirectory();
        var index = fixture.Indexes[metric];
        index.Save(dir.Path);

        using var mapped = MappedHnswIndex.Open(dir.Path);

        Assert.Equal(index.Count, mapped.Count);
        Assert.Equal(index.Dimension, mapped.Dimension);
        Assert.Equal(metric, mapped.Metric);
        foreach (var query in fixture.Queries)
        {
            var expected = index.Search(query, 10, ef: 64);
            var actual = mapped.Search(query, 10, ef: 64);
            Assert.Equal(expected, actual);
        }
    }

    [Fact]
    public void opening_without_populate_or_verification_gives_the_same_results()
    {
        using var dir = new TempDirectory();
        var index = fixture.Indexes[VectorMetric.Cosine];
        index.Save(dir.Path);

        using var verified = MappedHnswIndex.Open(dir.Path);
        using var lazy = MappedHnswIndex.Open(dir.Path, populate: false, verifyChecksums: false);

        foreach (var query in fixture.Queries.Take(50))
            Assert.Equal(verified.Search(query, 5), lazy.Search(query, 5));
    }

    [Fact]
    public void write_to_streams_produces_the_same_bytes_as_save()
    {
        using var dir = new TempDirectory();
        var index = fixture.Indexes[VectorMetric.L2];
        index.Save(dir.Path);
        using var vectors = new MemoryStream();
        using var graph = new MemoryStream();

        index.Write(vectors, graph);

        Assert.Equal(File.ReadAllBytes(dir.File(HnswIndex.VectorsFileName)), vectors.ToArray());
        Assert.Equal(File.ReadAllBytes(dir.File(HnswIndex.GraphFileName)), graph.ToArray());
    }

    [Fact]
    public void builds_are_deterministic_for_a_seed_and_differ_across_seeds()
    {
        var data = fixture.Data.Take(3000).ToArray();
        using var dir = new TempDirectory();
        using (var a = TestData.Build(data, VectorMetric.L2, new HnswParameters(Seed: 5), initialCapacity: 100))
            a.Save(dir.Sub("a"));
        using (var b = TestData.Build(data, VectorMetric.L2, new HnswParameters(Seed: 5), initialCapacity: 5000))
            b.Save(dir.Sub("b"));
        using (var c = TestData.Build(data, VectorMetric.L2, new HnswParameters(Seed: 6), initialCapacity: 100))
            c.Save(dir.Sub("c"));

        var graphA = File.ReadAllBytes(Path.Combine(dir.Path, "a", HnswIndex.GraphFileName));
        var graphB = File.ReadAllBytes(Path.Combine(dir.Path, "b", HnswIndex.GraphFileName));
        var graphC = File.ReadAllBytes(Path.Combine(dir.Path, "c", HnswIndex.GraphFileName));
        Assert.Equal(graphA, graphB);
        Assert.Equal(
            File.ReadAllBytes(Path.Combine(dir.Path, "a", HnswIndex.VectorsFileName)),
            File.ReadAllBytes(Path.Combine(dir.Path, "b", HnswIndex.VectorsFileName)));
        Assert.NotEqual(graphA, graphC);
    }

    [Theory]
    [InlineData(VectorMetric.L2)]
    [InlineData(VectorMetric.Cosine)]
    public void empty_index_saves_and_opens(VectorMetric metric)
    {
        using var dir = new TempDirectory();
        using (var empty = new HnswIndex(8, metric, new HnswParameters()))
        {
            Assert.Empty(empty.Search(new float[] { 1, 2, 3, 4, 5, 6, 7, 8 }, 3));
            empty.Save(dir.Path);
        }

        using var mapped = MappedHnswIndex.Open(dir.Path);

        Assert.Equal(0, mapped.Count);
        Assert.Equal(8, mapped.Dimension);
        Assert.Empty(mapped.Search(new float[] { 1, 2, 3, 4, 5, 6, 7, 8 }, 3));
        Assert.Empty(mapped.Search(new float[] { 1, 2, 3, 4, 5, 6, 7, 8 }, 3, filter: _ => true));
    }

    [Fact]
    public void single_vector_index_round_trips()
    {
        using var dir = new TempDirectory();
        using (var one = new HnswIndex(3, VectorMetric.L2, new HnswParameters()))
        {
            one.Add(-42, new float[] { 1, 2, 3 });
            one.Save(dir.Path);
        }

        using var mapped = MappedHnswIndex.Open(dir.Path);

        var match = Assert.Single(mapped.Search(new float[] { 1, 2, 4 }, 5));
        Assert.Equal(new VectorMatch(-42, 1f), match);
    }

    [Fact]
    public async Task save_while_adding_concurrently_yields_a_consistent_snapshot()
    {
        var data = fixture.Data.Take(4000).ToArray();
        using var index = new HnswIndex(ClusteredFixture.Dimension, VectorMetric.L2, new HnswParameters(EfConstruction: 64), 64);
        for (var i = 0; i < 500; i++)
            index.Add(i, data[i]);
        using var dir = new TempDirectory();
        var writer = Task.Run(() =>
        {
            for (var i = 500; i < data.Length; i++)
                index.Add(i, data[i]);
        });
        var saves = 0;
        while (!writer.IsCompleted || saves == 0)
        {
            var target = dir.Sub($"s{saves++}");
            index.Save(target);
            using var mapped = MappedHnswIndex.Open(target);
            Assert.InRange(mapped.Count, 500, data.Length);
            var top = mapped.Search(data[0], 1);
            Assert.Equal(0, top[0].Label);
        }
        await writer;
    }
}
