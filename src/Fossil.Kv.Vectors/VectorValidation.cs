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

    /// <summary>As <see cref="Validate(ReadOnlySpan{float}, int)"/>, and for <see cref="VectorMetric.Cosine"/>
    /// also rejects the zero vector, which has no direction.</summary>
    public static void Validate(ReadOnlySpan<float> vector, int dimension, VectorMetric metric)
    {
        Validate(vector, dimension);
        if (metric == VectorMetric.Cosine && Distances.Dot(vector, vector) <= 0f)
            throw new ArgumentException("The vector is all zeros; cosine distance needs a vector with a direction.", nameof(vector));
    }

    [DoesNotReturn]
    private static void ThrowWrongDimension(int actual, int expected, string paramName) =>
        throw new ArgumentException($"The vector has {actual} dimensions; this index holds {expected}-dimensional vectors.", paramName);

    [DoesNotReturn]
    private static void ThrowNonFinite(int index, float value, string paramName) =>
        throw new ArgumentException($"The vector's component {index} is {value}; only finite values are allowed.", paramName);
}
