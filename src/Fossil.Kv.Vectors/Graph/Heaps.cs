using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Fossil.Kv.Vectors.Graph;

/// <summary>Array-backed binary max-heap on distance (the farthest on top): the search's result set.</summary>
internal sealed class MaxHeap
{
    private Candidate[] _items = new Candidate[256];

    public int Count { get; private set; }

    public ref readonly Candidate Top => ref _items[0];

    public void Clear() => Count = 0;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Push(float distance, int id)
    {
        if (Count == _items.Length)
            Array.Resize(ref _items, _items.Length * 2);
        ref var items = ref MemoryMarshal.GetArrayDataReference(_items);
        var i = Count++;
        while (i > 0)
        {
            var parent = (i - 1) >> 1;
            ref var p = ref Unsafe.Add(ref items, parent);
            if (p.Distance >= distance)
                break;
            Unsafe.Add(ref items, i) = p;
            i = parent;
        }
        Unsafe.Add(ref items, i) = new Candidate(distance, id);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Candidate Pop()
    {
        ref var items = ref MemoryMarshal.GetArrayDataReference(_items);
        var top = items;
        var n = --Count;
        if (n > 0)
        {
            var last = Unsafe.Add(ref items, n);
            var i = 0;
            while (true)
            {
                var child = (2 * i) + 1;
                if (child >= n)
                    break;
                if (child + 1 < n && Unsafe.Add(ref items, child + 1).Distance > Unsafe.Add(ref items, child).Distance)
                    child++;
                ref var c = ref Unsafe.Add(ref items, child);
                if (c.Distance <= last.Distance)
                    break;
                Unsafe.Add(ref items, i) = c;
                i = child;
            }
            Unsafe.Add(ref items, i) = last;
        }
        return top;
    }
}

/// <summary>Array-backed binary min-heap on distance (the nearest on top): the search's frontier.</summary>
internal sealed class MinHeap
{
    private Candidate[] _items = new Candidate[256];

    public int Count { get; private set; }

    public ref readonly Candidate Top => ref _items[0];

    public void Clear() => Count = 0;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Push(float distance, int id)
    {
        if (Count == _items.Length)
            Array.Resize(ref _items, _items.Length * 2);
        ref var items = ref MemoryMarshal.GetArrayDataReference(_items);
        var i = Count++;
        while (i > 0)
        {
            var parent = (i - 1) >> 1;
            ref var p = ref Unsafe.Add(ref items, parent);
            if (p.Distance <= distance)
                break;
            Unsafe.Add(ref items, i) = p;
            i = parent;
        }
        Unsafe.Add(ref items, i) = new Candidate(distance, id);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Candidate Pop()
    {
        ref var items = ref MemoryMarshal.GetArrayDataReference(_items);
        var top = items;
        var n = --Count;
        if (n > 0)
        {
            var last = Unsafe.Add(ref items, n);
            var i = 0;
            while (true)
            {
                var child = (2 * i) + 1;
                if (child >= n)
                    break;
                if (child + 1 < n && Unsafe.Add(ref items, child + 1).Distance < Unsafe.Add(ref items, child).Distance)
                    child++;
                ref var c = ref Unsafe.Add(ref items, child);
                if (c.Distance >= last.Distance)
                    break;
                Unsafe.Add(ref items, i) = c;
                i = child;
            }
            Unsafe.Add(ref items, i) = last;
        }
        return top;
    }
}
