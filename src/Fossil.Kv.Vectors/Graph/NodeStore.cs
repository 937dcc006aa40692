using System.Runtime.InteropServices;

namespace Fossil.Kv.Vectors.Graph;

/// <summary>
/// The in-memory arrays of a growable graph, in native, 64-byte aligned memory, laid out exactly as
/// the mapped files (see <see cref="GraphView"/>). Growing allocates a larger store and copies while
/// writers are excluded; searches in flight keep the old store alive through the SafeHandle reference
/// count, and the memory is freed when the last of them lets go.
/// </summary>
internal sealed unsafe class NodeStore : SafeHandle
{
    private readonly long _bytes;

    public NodeStore(int capacity, long upperCapacity, int dimension, int maxM0, int maxM)
        : base(IntPtr.Zero, ownsHandle: true)
    {
        Capacity = capacity;
        UpperCapacity = upperCapacity;
        Dimension = dimension;
        MaxM0 = maxM0;
        MaxM = maxM;
        Vectors = (float*)Allocate((long)capacity * dimension * sizeof(float));
        Level0 = (int*)Allocate((long)capacity * (1 + maxM0) * sizeof(int));
        Labels = (long*)Allocate((long)capacity * sizeof(long));
        NodeInfo = (int*)Allocate((long)capacity * 2 * sizeof(int));
        Upper = (int*)Allocate(upperCapacity * sizeof(int));
        Locks = (int*)Allocate((long)capacity * sizeof(int));
        _bytes = ((long)capacity * ((dimension * 4) + ((1 + maxM0) * 4) + 8 + 8 + 4)) + (upperCapacity * 4);
        GC.AddMemoryPressure(_bytes);
        SetHandle(1);
    }

    public int Capacity { get; }

    public long UpperCapacity { get; }

    public int Dimension { get; }

    public int MaxM0 { get; }

    public int MaxM { get; }

    public float* Vectors { get; private set; }

    public int* Level0 { get; private set; }

    public long* Labels { get; private set; }

    public int* NodeInfo { get; private set; }

    public int* Upper { get; private set; }

    /// <summary>One spin-lock word per node, guarding its link lists on every layer (writers only).</summary>
    public int* Locks { get; private set; }

    public override bool IsInvalid => handle == IntPtr.Zero;

    public GraphView View => new(Vectors, Level0, Labels, NodeInfo, Upper, Capacity, Dimension, MaxM0, MaxM);

    /// <summary>Copies the first <paramref name="nodes"/> nodes and <paramref name="upperUsed"/> upper ints into <paramref name="target"/>.</summary>
    public void CopyTo(NodeStore target, int nodes, long upperUsed)
    {
        Copy(Vectors, target.Vectors, (long)nodes * Dimension * sizeof(float));
        Copy(Level0, target.Level0, (long)nodes * (1 + MaxM0) * sizeof(int));
        Copy(Labels, target.Labels, (long)nodes * sizeof(long));
        Copy(NodeInfo, target.NodeInfo, (long)nodes * 2 * sizeof(int));
        Copy(Upper, target.Upper, upperUsed * sizeof(int));
    }

    protected override bool ReleaseHandle()
    {
        Free(Vectors);
        Free(Level0);
        Free(Labels);
        Free(NodeInfo);
        Free(Upper);
        Free(Locks);
        Vectors = null;
        Level0 = null;
        Labels = null;
        NodeInfo = null;
        Upper = null;
        Locks = null;
        GC.RemoveMemoryPressure(_bytes);
        return true;
    }

    private static void* Allocate(long bytes)
    {
        var size = (nuint)Math.Max(bytes, 64);
        var p = NativeMemory.AlignedAlloc(size, 64);
        NativeMemory.Clear(p, size);
        return p;
    }

    private static void Free(void* p)
    {
        if (p != null)
            NativeMemory.AlignedFree(p);
    }

    private static void Copy(void* source, void* destination, long bytes)
    {
        if (bytes > 0)
            Buffer.MemoryCopy(source, destination, bytes, bytes);
    }
}
