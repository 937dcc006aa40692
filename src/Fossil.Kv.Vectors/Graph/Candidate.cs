using System.Runtime.InteropServices;

namespace Fossil.Kv.Vectors.Graph;

/// <summary>A node id with its distance to whatever point the current operation measures from.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct Candidate(float distance, int id) : IComparable<Candidate>
{
    public float Distance = distance;
    public int Id = id;

    /// <summary>Nearest first; ties broken by id so sorts are deterministic.</summary>
    public readonly int CompareTo(Candidate other)
    {
        var c = Distance.CompareTo(other.Distance);
        return c != 0 ? c : Id.CompareTo(other.Id);
    }
}
