namespace Fossil.Kv;

/// <summary>What the store refuses in a vector, whether an event carries it or a search query does.</summary>
internal static class VectorChecks
{
    /// <summary>The vector's first problem as a phrase ("a non-finite vector value ..."), or null when it is fine.</summary>
    public static string? Problem(float[] vector, bool cosine)
    {
        if (vector.Length == 0) return "an empty vector";
        for (var d = 0; d < vector.Length; d++)
            if (!float.IsFinite(vector[d])) return $"a non-finite vector value ({vector[d]}) at index {d}";
        if (cosine && !vector.AsSpan().ContainsAnyExcept(0f))
            return "an all-zero vector, which has no direction for this store's cosine metric (vector.metric)";
        return null;
    }
}
