using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Fossil.Kv.Vectors;

/// <summary>
/// Distance kernels. The graph code calls them through <see cref="IDistance"/> structs so the JIT
/// specializes and inlines them (no delegate or virtual call per distance); the span entry points use
/// <see cref="TensorPrimitives"/> where a kernel is not on the hot path.
/// </summary>
public static class Distances
{
    /// <summary>Dot product of two equal-length spans.</summary>
    public static float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b) => TensorPrimitives.Dot(a, b);

    /// <summary>The distance the index uses for <paramref name="metric"/>; vectors must already be normalized for cosine.</summary>
    public static unsafe float Compute(VectorMetric metric, ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length)
            throw new ArgumentException($"Vectors have different lengths ({a.Length} and {b.Length}).", nameof(b));
        fixed (float* pa = a)
        fixed (float* pb = b)
        {
            return metric == VectorMetric.L2
                ? L2Distance.Distance(pa, pb, a.Length)
                : DotDistance.Distance(pa, pb, a.Length);
        }
    }

    /// <summary>Scales <paramref name="source"/> to unit length into <paramref name="destination"/>.</summary>
    internal static void Normalize(ReadOnlySpan<float> source, Span<float> destination)
    {
        var norm = TensorPrimitives.Norm(source);
        TensorPrimitives.Divide(source, norm, destination);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static unsafe float SquaredL2(float* a, float* b, int n)
    {
        var i = 0;
        float sum;
        if (Vector512.IsHardwareAccelerated && n >= 16)
        {
            var acc0 = Vector512<float>.Zero;
            var acc1 = Vector512<float>.Zero;
            for (; i <= n - 32; i += 32)
            {
                var d0 = Vector512.Load(a + i) - Vector512.Load(b + i);
                var d1 = Vector512.Load(a + i + 16) - Vector512.Load(b + i + 16);
                acc0 = Vector512.FusedMultiplyAdd(d0, d0, acc0);
                acc1 = Vector512.FusedMultiplyAdd(d1, d1, acc1);
            }
            if (i <= n - 16)
            {
                var d0 = Vector512.Load(a + i) - Vector512.Load(b + i);
                acc0 = Vector512.FusedMultiplyAdd(d0, d0, acc0);
                i += 16;
            }
            sum = Vector512.Sum(acc0 + acc1);
        }
        else if (Vector256.IsHardwareAccelerated && n >= 8)
        {
            var acc0 = Vector256<float>.Zero;
            var acc1 = Vector256<float>.Zero;
            for (; i <= n - 16; i += 16)
            {
                var d0 = Vector256.Load(a + i) - Vector256.Load(b + i);
                var d1 = Vector256.Load(a + i + 8) - Vector256.Load(b + i + 8);
                acc0 = Vector256.FusedMultiplyAdd(d0, d0, acc0);
                acc1 = Vector256.FusedMultiplyAdd(d1, d1, acc1);
            }
            if (i <= n - 8)
            {
                var d0 = Vector256.Load(a + i) - Vector256.Load(b + i);
                acc0 = Vector256.FusedMultiplyAdd(d0, d0, acc0);
                i += 8;
            }
            sum = Vector256.Sum(acc0 + acc1);
        }
        else if (Vector128.IsHardwareAccelerated && n >= 4)
        {
            var acc0 = Vector128<float>.Zero;
            for (; i <= n - 4; i += 4)
            {
                var d0 = Vector128.Load(a + i) - Vector128.Load(b + i);
                acc0 += d0 * d0;
            }
            sum = Vector128.Sum(acc0);
        }
        else
        {
            sum = 0f;
        }
        for (; i < n; i++)
        {
            var d = a[i] - b[i];
            sum += d * d;
        }
        return sum;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static unsafe float DotProduct(float* a, float* b, int n)
    {
        var i = 0;
        float sum;
        if (Vector512.IsHardwareAccelerated && n >= 16)
        {
            var acc0 = Vector512<float>.Zero;
            var acc1 = Vector512<float>.Zero;
            for (; i <= n - 32; i += 32)
            {
                acc0 = Vector512.FusedMultiplyAdd(Vector512.Load(a + i), Vector512.Load(b + i), acc0);
                acc1 = Vector512.FusedMultiplyAdd(Vector512.Load(a + i + 16), Vector512.Load(b + i + 16), acc1);
            }
            if (i <= n - 16)
            {
                acc0 = Vector512.FusedMultiplyAdd(Vector512.Load(a + i), Vector512.Load(b + i), acc0);
                i += 16;
            }
            sum = Vector512.Sum(acc0 + acc1);
        }
        else if (Vector256.IsHardwareAccelerated && n >= 8)
        {
            var acc0 = Vector256<float>.Zero;
            var acc1 = Vector256<float>.Zero;
            for (; i <= n - 16; i += 16)
            {
                acc0 = Vector256.FusedMultiplyAdd(Vector256.Load(a + i), Vector256.Load(b + i), acc0);
                acc1 = Vector256.FusedMultiplyAdd(Vector256.Load(a + i + 8), Vector256.Load(b + i + 8), acc1);
            }
            if (i <= n - 8)
            {
                acc0 = Vector256.FusedMultiplyAdd(Vector256.Load(a + i), Vector256.Load(b + i), acc0);
                i += 8;
            }
            sum = Vector256.Sum(acc0 + acc1);
        }
        else if (Vector128.IsHardwareAccelerated && n >= 4)
        {
            var acc0 = Vector128<float>.Zero;
            for (; i <= n - 4; i += 4)
                acc0 += Vector128.Load(a + i) * Vector128.Load(b + i);
            sum = Vector128.Sum(acc0);
        }
        else
        {
            sum = 0f;
        }
        for (; i < n; i++)
            sum += a[i] * b[i];
        return sum;
    }
}

/// <summary>A distance kernel the graph code is specialized over.</summary>
internal unsafe interface IDistance
{
    static abstract float Distance(float* a, float* b, int dimension);
}

/// <summary>Squared L2.</summary>
[StructLayout(LayoutKind.Auto)]
internal readonly unsafe struct L2Distance : IDistance
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Distance(float* a, float* b, int dimension) => Distances.SquaredL2(a, b, dimension);
}

/// <summary><c>1 - dot</c>: inner product, and cosine over normalized vectors.</summary>
[StructLayout(LayoutKind.Auto)]
internal readonly unsafe struct DotDistance : IDistance
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Distance(float* a, float* b, int dimension) => 1f - Distances.DotProduct(a, b, dimension);
}
