using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Fossil.Kv.Vectors.Graph;

/// <summary>
/// Raw pointers over one graph: the same layout in memory (<see cref="NodeStore"/>) and in the mapped
/// files (see docs/vector-index-format.md), so one search routine serves both.
/// </summary>
/// <remarks>
/// Layout: <c>Vectors</c> is node-major, <c>Dimension</c> floats per node; <c>Level0</c> has
/// <c>1 + MaxM0</c> ints per node (count, then ids); <c>NodeInfo</c> has two ints per node (top level,
/// offset of its upper-layer block in <c>Upper</c> or -1); an upper block holds, for layers 1..level,
/// <c>1 + MaxM</c> ints each (count, then ids).
/// </remarks>
[StructLayout(LayoutKind.Auto)]
internal readonly unsafe struct GraphView(
    float* vectors, int* level0, long* labels, int* nodeInfo, int* upper, int nodeBound, int dimension, int maxM0, int maxM)
{
    public readonly float* Vectors = vectors;
    public readonly int* Level0 = level0;
    public readonly long* Labels = labels;
    public readonly int* NodeInfo = nodeInfo;
    public readonly int* Upper = upper;

    /// <summary>Every id read from a link list is checked against this before use.</summary>
    public readonly int NodeBound = nodeBound;
    public readonly int Dimension = dimension;
    public readonly int MaxM0 = maxM0;
    public readonly int MaxM = maxM;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float* Vector(int id) => Vectors + ((nint)id * Dimension);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int* Level0Links(int id) => Level0 + ((nint)id * (1 + MaxM0));

    /// <summary>The [count, ids...] list of <paramref name="id"/> on <paramref name="level"/>, or null if the node is not that high.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int* Links(int id, int level, out int capacity)
    {
        if (level == 0)
        {
            capacity = MaxM0;
            return Level0Links(id);
        }
        capacity = MaxM;
        var info = NodeInfo + (2 * (nint)id);
        if (info[0] < level)
            return null;
        return Upper + info[1] + ((nint)(level - 1) * (1 + MaxM));
    }

    /// <summary>A list's length as published (read once), clamped to the list's capacity so torn or corrupt counts stay in bounds.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int CountOf(int* list, int capacity)
    {
        var n = Volatile.Read(ref *list);
        return (uint)n <= (uint)capacity ? n : ((n < 0) ? 0 : capacity);
    }
}
