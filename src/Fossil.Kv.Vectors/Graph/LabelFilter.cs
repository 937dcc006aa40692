using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Fossil.Kv.Vectors.Graph;

/// <summary>Label predicate the search is specialized over, so the unfiltered path pays nothing.</summary>
internal interface ILabelFilter
{
    static abstract bool IsActive { get; }

    bool Allows(long label);
}

[StructLayout(LayoutKind.Auto)]
internal readonly struct NoFilter : ILabelFilter
{
    public static bool IsActive => false;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool Allows(long label) => true;
}

[StructLayout(LayoutKind.Auto)]
internal readonly struct DelegateFilter(Func<long, bool> predicate) : ILabelFilter
{
    public static bool IsActive => true;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool Allows(long label) => predicate(label);
}
