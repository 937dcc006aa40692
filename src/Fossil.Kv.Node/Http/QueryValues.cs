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

    public static bool Flag(StringValues value) => value.ToString() is "true" or "1" or "yes";

    public static string? Text(StringValues value) => StringValues.IsNullOrEmpty(value) ? null : value.ToString();
}
