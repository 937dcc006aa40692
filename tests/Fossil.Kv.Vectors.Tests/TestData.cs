using Fossil.Kv.Vectors;

namespace Fossil.Kv.Vectors.Tests;

/// <summary>Seeded synthetic vectors and recall measurement shared by the tests.</summary>
internal static class TestData
{
    /// <summary>Gaussian clusters: centers N(0, spread²), points N(center, 1).</summary>
    public static float[][] Clustered(int count, int dimension, int clusters, int seed, double spread = 3)
    {
        var random = new Random(seed);
        var centers = new float[clusters][];
        for (var c = 0; c < clusters; c++)
        {
            centers[c] = new float[dimension];
            for (var i = 0; i < dimension; i++)
                centers[c][i] = (float)(Gaussian(random) * spread);
        }
        var points = new float[count][];
        for (var p = 0; p < count; p++)
        {
            var center = centers[random.Next(clusters)];
            points[p] = new float[dimension];
            for (var i = 0; i < dimension; i++)
                points[p][i] = center[i] + (float)Gaussian(random);
        }
        return points;
    }

    public static HnswIndex Build(float[][] data, VectorMetric metric, HnswParameters? parameters = null, int initialCapacity = 1024)
    {
        var index = new HnswIndex(data[0].Length, metric, parameters ?? new HnswParameters(), initialCapacity);
        for (var i = 0; i < data.Length; i++)
            index.Add(i, data[i]);
        return index;
    }

    public static BruteForceIndex Exact(float[][] data, VectorMetric metric)
    {
        var index = new BruteForceIndex(data[0].Length, metric, data.Length);
        for (var i = 0; i < data.Length; i++)
            index.Add(i, data[i]);
        return index;
    }

    /// <summary>Mean fraction of the exact k nearest that <paramref name="index"/> returns.</summary>
    public static double Recall(IVectorIndex index, IVectorIndex exact, float[][] queries, int k, int? ef = null, Func<long, bool>? filter = null)
    {
        long hits = 0;
        long expectedTotal = 0;
        foreach (var q in queries)
        {
            var expected = exact.Search(q, k, filter: filter).Select(m => m.Label).ToHashSet();
            expectedTotal += expected.Count;
            hits += index.Search(q, k, ef, filter).Count(m => expected.Contains(m.Label));
        }
        return expectedTotal == 0 ? 1.0 : (double)hits / expectedTotal;
    }

    private static double Gaussian(Random random)
    {
        var u1 = 1.0 - random.NextDouble();
        var u2 = random.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }
}

/// <summary>A fresh directory under the temp path, deleted on dispose.</summary>
internal sealed class TempDirectory : IDisposable
{
    public TempDirectory([System.Runtime.CompilerServices.CallerMemberName] string name = "")
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "fossil-vectors-tests", $"{name}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public string Sub(string name)
    {
        var p = System.IO.Path.Combine(Path, name);
        Directory.CreateDirectory(p);
        return p;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // Best effort; the OS temp cleaner gets the rest.
        }
    }
}
