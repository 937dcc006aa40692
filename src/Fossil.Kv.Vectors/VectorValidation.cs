using System.Diagnostics.CodeAnalysis;
using System.Numerics;

namespace Fossil.Kv.Vectors;

/// <summary>Checks vectors before they reach an index; every failure names the problem.</summary>
public static class VectorValidation
{
    /// <summary>Throws <see cref="ArgumentException"/> when <paramref name="vector"/> does not have
    /// <paramref name="dimension"/> components or has a NaN or infinite one.</summary>
    public static void Validate(ReadOnlySpan<float> vector, int dimension)
    {
        if (vector.Length != dimension)
            ThrowWrongDimension(vector.Length, dimension, nameof(vector));
        if (!AllFinite(vector))
        {
            for (var i = 0; i < vector.Length; i++)
            {
                if (!float.IsFinite(vector[i]))
                    ThrowNonFinite(i, vector[i], nameof(vector));
            }
        }
    }

    /// <summary>x - x is +0 for every finite x and NaN for NaN and ±∞, and NaN sticks in the sum.</summary>
    private static bool AllFinite(ReadOnlySpan<float> vector)
    {
        var acc = Vector<float>.Zero;
        var i = 0;
        for (; i <= vector.Length - Vector<float>.Count; i += Vector<float>.Count)
        {
            var x = new Vector<float>(vector[i..]);
            acc += x - x;
        }
        if (acc != Vector<float>.Zero)
            return false;
        for (; i < vector.Length; i++)
        {
            if (!float.IsFinite(vector[i]))
                return false;
        }
        return true;
    }

    /// <summary>
    /// The largest squared length a vector may have: the squared distance between two such vectors is at most
    /// 4× it, which stays finite in float32. Longer vectors would give infinite distances under l2.
    /// </summary>
    public const float MaxSquaredLength = float.MaxValue / 4;

    /// <summary>
    /// What makes <paramref name="vector"/> unusable under <paramref name="metric"/>, as a phrase ("an empty
    /// vector"), or null when an index takes it. Computed as the index computes (float32), so a vector this
    /// accepts is never refused later, when a sealed segment's index is built.
    /// </summary>
    public static string? Problem(ReadOnlySpan<float> vector, VectorMetric metric)
    {
        if (vector.Length == 0) return "an empty vector";
        if (!AllFinite(vector))
        {
            for (var i = 0; i < vector.Length; i++)
            {
                if (!float.IsFinite(vector[i]))
                    return $"a non-finite vector value ({vector[i]}) at index {i}";
            }
        }
        var squaredLength = Distances.Dot(vector, vector);
        if (!(squaredLength <= MaxSquaredLength))
            return $"a vector too long for float32 distances (squared length {(double)squaredLength:G3} over {MaxSquaredLength:G3})";
        // A squared length that is 0 or subnormal in float32 leaves no direction to normalize (values of ~1e-20 and below).
        if (metric == VectorMetric.Cosine && !float.IsNormal(squaredLength))
        {
            return vector.ContainsAnyExcept(0f)
                ? "a vector too close to zero to have a direction in float32, which this store's cosine metric (vector.metric) needs"
                : "an all-zero vector, which has no direction for this store's cosine metric (vector.metric)";
        }
        return null;
    }

    /// <summary>As <see cref="Validate(ReadOnlySpan{float}, int)"/>, and also refuses what <see cref="Problem"/> names.</summary>
    public static void Validate(ReadOnlySpan<float> vector, int dimension, VectorMetric metric)
    {
        Validate(vector, dimension);
        if (Problem(vector, metric) is { } problem)
            throw new ArgumentException($"The vector cannot be indexed: it is {problem}.", nameof(vector));
    }

    [DoesNotReturn]
    private static void ThrowWrongDimension(int actual, int expected, string paramName) =>
        throw new ArgumentException($"The vector has {actual} dimensions; this index holds {expected}-dimensional vectors.", paramName);

    [DoesNotReturn]
    private static void ThrowNonFinite(int index, float value, string paramName) =>
        throw new ArgumentException($"The vector's component {index} is {value}; only finite values are allowed.", paramName);
}
