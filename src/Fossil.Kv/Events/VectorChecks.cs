using Fossil.Kv.Vectors;

namespace Fossil.Kv;

/// <summary>What the store refuses in a vector, whether an event carries it or a search query does.</summary>
internal static class VectorChecks
{
    /// <summary>
    /// The vector's first problem as a phrase ("a non-finite vector value ..."), or null when it is fine: the
    /// index's own rule (<see cref="VectorValidation.Problem"/>), so a vector taken now can always be indexed
    /// when its segment is materialized.
    /// </summary>
    public static string? Problem(float[] vector, VectorMetric metric) => VectorValidation.Problem(vector, metric);
}
