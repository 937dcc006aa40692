using System.Globalization;
using Microsoft.Extensions.Primitives;

namespace Fossil.Kv.Node.Http;

internal static class QueryValues
{
    public static int Limit(StringValues value, int defaultLimit, int maxLimit)
    {
        if (StringValues.IsNullOrEmpty(value)) return defaultLimit;
        return int.TryParse(value.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var limit) && limit is > 0 && limit <= maxLimit
            ? limit
            : throw new InvalidRequestException($"limit must be a whole number from 1 to {maxLimit} (got '{value}').");
    }

    /// <summary><c>?vectors=true</c> and the like: true or false (1 or 0); absent is false.</summary>
    public static bool Flag(StringValues value, string name) => value.ToString() switch
    {
        "" or "false" or "0" => false,
        "true" or "1" => true,
        var other => throw new InvalidRequestException($"{name} must be true or false (got '{other}')."),
    };

    /// <summary><c>?vectors=</c>: whether events carry their vectors.</summary>
    public static bool WithVectors(IQueryCollection query) => Flag(query["vectors"], "vectors");

    public static string? Text(StringValues value) => StringValues.IsNullOrEmpty(value) ? null : value.ToString();
}
