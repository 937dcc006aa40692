using Fossil.Kv.Vectors;

namespace Fossil.Kv.Vectors.Tests;

public sealed class ValidationTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly HnswIndex _hnsw;
    private readonly BruteForceIndex _exact;
    private readonly MappedHnswIndex _mapped;

    public ValidationTests()
    {
        _hnsw = new HnswIndex(4, VectorMetric.Cosine, new HnswParameters());
        _exact = new BruteForceIndex(4, VectorMetric.Cosine);
        _hnsw.Add(1, new float[] { 1, 0, 0, 0 });
        _exact.Add(1, new float[] { 1, 0, 0, 0 });
        _hnsw.Save(_dir.Path);
        _mapped = MappedHnswIndex.Open(_dir.Path);
    }

    public void Dispose()
    {
        _mapped.Dispose();
        _hnsw.Dispose();
        _exact.Dispose();
        _dir.Dispose();
    }

    private IEnumerable<IVectorIndex> All => [_hnsw, _exact, _mapped];

    [Fact]
    public void wrong_dimension_is_rejected_naming_the_problem()
    {
        var e = Assert.Throws<ArgumentException>(() => _hnsw.Add(2, new float[] { 1, 2, 3 }));
        Assert.Contains("3 dimensions", e.Message, StringComparison.Ordinal);
        Assert.Contains("4-dimensional", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => _exact.Add(2, new float[5]));
        foreach (var index in All)
        {
            e = Assert.Throws<ArgumentException>(() => index.Search(new float[] { 1, 2, 3, 4, 5 }, 1));
            Assert.Contains("5 dimensions", e.Message, StringComparison.Ordinal);
        }
        Assert.Equal(1, _hnsw.Count);
    }

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    [InlineData(float.NegativeInfinity)]
    public void non_finite_values_are_rejected_naming_the_component(float bad)
    {
        var vector = new float[] { 1, 2, bad, 4 };

        var e = Assert.Throws<ArgumentException>(() => _hnsw.Add(3, vector));
        Assert.Contains("component 2", e.Message, StringComparison.Ordinal);
        Assert.Contains("finite", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => _exact.Add(3, vector));
        foreach (var index in All)
            Assert.Throws<ArgumentException>(() => index.Search(vector, 1));
        Assert.False(_hnsw.Contains(3));
    }

    [Fact]
    public void the_zero_vector_is_rejected_for_cosine()
    {
        var e = Assert.Throws<ArgumentException>(() => _hnsw.Add(4, new float[4]));
        Assert.Contains("zeros", e.Message, StringComparison.Ordinal);
        foreach (var index in All)
            Assert.Throws<ArgumentException>(() => index.Search(new float[4], 1));
    }

    [Fact]
    public void the_zero_vector_is_fine_for_l2()
    {
        using var index = new HnswIndex(2, VectorMetric.L2, new HnswParameters());
        index.Add(1, new float[2]);

        Assert.Equal(new VectorMatch(1, 2f), Assert.Single(index.Search(new float[] { 1, 1 }, 1)));
    }

    [Fact]
    public void a_duplicate_label_is_rejected()
    {
        var e = Assert.Throws<ArgumentException>(() => _hnsw.Add(1, new float[] { 0, 1, 0, 0 }));
        Assert.Contains("label 1", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => _exact.Add(1, new float[] { 0, 1, 0, 0 }));
        Assert.Equal(1, _hnsw.Count);
    }

    [Fact]
    public void k_and_ef_below_one_are_rejected()
    {
        foreach (var index in All)
            Assert.Throws<ArgumentOutOfRangeException>(() => index.Search(new float[] { 1, 0, 0, 0 }, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => _hnsw.Search(new float[] { 1, 0, 0, 0 }, 1, ef: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => _mapped.Search(new float[] { 1, 0, 0, 0 }, 1, ef: -1));
    }

    [Fact]
    public void bad_parameters_are_rejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new HnswIndex(0, VectorMetric.L2, new HnswParameters()));
        Assert.Throws<ArgumentOutOfRangeException>(() => new HnswIndex(4, (VectorMetric)9, new HnswParameters()));
        Assert.Throws<ArgumentOutOfRangeException>(() => new HnswIndex(4, VectorMetric.L2, new HnswParameters(M: 1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new HnswIndex(4, VectorMetric.L2, new HnswParameters(EfConstruction: 0)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new HnswIndex(4, VectorMetric.L2, new HnswParameters(EfSearch: 0)));
    }

    [Fact]
    public void k_larger_than_the_index_returns_everything()
    {
        _hnsw.Add(5, new float[] { 0, 1, 0, 0 });
        _hnsw.Add(6, new float[] { 0, 0, 1, 0 });

        var results = _hnsw.Search(new float[] { 1, 0.1f, 0, 0 }, 50);

        Assert.Equal([1L, 5L, 6L], results.Select(m => m.Label));
    }

    [Fact]
    public void a_disposed_index_refuses_work()
    {
        var index = new HnswIndex(2, VectorMetric.L2, new HnswParameters());
        index.Add(1, new float[] { 1, 2 });
        index.Dispose();

        Assert.Throws<ObjectDisposedException>(() => index.Search(new float[] { 1, 2 }, 1));
        Assert.Throws<ObjectDisposedException>(() => index.Add(2, new float[] { 1, 2 }));
        index.Dispose();
    }
}
