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
        Assert.Contains("all-zero", e.Message, StringComparison.Ordinal);
        foreach (var index in All)
            Assert.Throws<ArgumentException>(() => index.Search(new float[4], 1));
    }

    [Fact]
    public void a_vector_whose_squared_length_is_zero_in_float32_is_rejected_for_cosine_but_not_l2()
    {
        var tiny = new float[] { 1e-30f, 1e-30f, 0, 0 };

        var e = Assert.Throws<ArgumentException>(() => _hnsw.Add(4, tiny));
        Assert.Contains("too close to zero", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => _exact.Add(4, tiny));
        foreach (var index in All)
            Assert.Throws<ArgumentException>(() => index.Search(tiny, 1));
        using var l2 = new HnswIndex(4, VectorMetric.L2, new HnswParameters());
        l2.Add(1, tiny);
    }

    [Theory]
    [InlineData(VectorMetric.Cosine)]
    [InlineData(VectorMetric.L2)]
    [InlineData(VectorMetric.InnerProduct)]
    public void a_vector_too_long_for_float32_distances_is_rejected_under_every_metric(VectorMetric metric)
    {
        using var index = new HnswIndex(3, metric, new HnswParameters());

        var e = Assert.Throws<ArgumentException>(() => index.Add(1, new float[] { 3.4e38f, 0, 0 }));
        Assert.Contains("too long for float32 distances", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => index.Add(2, new float[] { 1e20f, 1e20f, 1e20f }));
        Assert.Equal(0, index.Count);
    }

    /// <summary>
    /// Fuzz across magnitudes from 1e-25 to 1e25: whatever <see cref="VectorValidation.Problem"/> accepts an index
    /// takes and measures with finite distances, and whatever it refuses the index refuses: the store checks
    /// appends with it, so an accepted vector can never stop a sealed segment's index from being built.
    /// </summary>
    [Theory]
    [InlineData(VectorMetric.Cosine)]
    [InlineData(VectorMetric.L2)]
    [InlineData(VectorMetric.InnerProduct)]
    public void what_the_problem_check_accepts_an_index_takes_and_measures_finitely(VectorMetric metric)
    {
        var random = new Random(17);
        using var index = new HnswIndex(8, metric, new HnswParameters());
        int accepted = 0, refused = 0;
        for (var label = 0; label < 2_000; label++)
        {
            var scale = MathF.Pow(10, random.Next(-25, 26));
            var vector = new float[8];
            for (var d = 0; d < vector.Length; d++) vector[d] = random.Next(4) == 0 ? 0 : (float)(random.NextDouble() * 2 - 1) * scale;

            if (VectorValidation.Problem(vector, metric) is null)
            {
                index.Add(label, vector);
                Assert.All(index.Search(vector, 5), m => Assert.True(float.IsFinite(m.Distance), $"distance {m.Distance} at scale {scale}"));
                accepted++;
            }
            else
            {
                Assert.Throws<ArgumentException>(() => index.Add(label, vector));
                refused++;
            }
        }
        Assert.True(accepted > 1_000 && refused > 0, $"{accepted} accepted, {refused} refused");
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
