namespace Fossil.Kv.Vectors;

/// <summary>One search hit: the caller's label for the vector and its distance to the query (smaller is nearer).</summary>
public readonly record struct VectorMatch(long Label, float Distance);
