namespace Fossil.Kv.Vectors;

/// <summary>How distance between two vectors is measured. Smaller is nearer for every metric.</summary>
public enum VectorMetric
{
    /// <summary><c>1 - cos(a, b)</c>. Vectors are unit-normalized on insert and queries at search time.</summary>
    Cosine = 0,

    /// <summary>Squared Euclidean distance (no square root, as in hnswlib).</summary>
    L2 = 1,

    /// <summary><c>1 - dot(a, b)</c>, as hnswlib's <c>ip</c> space; vectors are stored as given.</summary>
    InnerProduct = 2,
}
