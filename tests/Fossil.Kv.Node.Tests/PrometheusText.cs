using System.Globalization;
using System.Text.RegularExpressions;

namespace Fossil.Kv.Node.Tests;

/// <summary>Reads histogram series out of the node's <c>GET /metrics</c> text.</summary>
internal static class PrometheusText
{
    /// <summary>
    /// The histogram's <c>_count</c> for one label set, written as the node writes it (<c>kind="stream",outcome="ok"</c>;
    /// empty for none); 0 while the series has no observation.
    /// </summary>
    public static long Count(string metrics, string histogram, string labels) =>
        Regex.Match(metrics, $"^{Regex.Escape(histogram + "_count" + Braces(labels))} (\\d+)$", RegexOptions.Multiline) is { Success: true } m
            ? long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)
            : 0;

    /// <summary>The upper bounds (<c>le</c>) of the histogram's buckets for one label set, in the order served.</summary>
    public static IReadOnlyList<string> Buckets(string metrics, string histogram, string labels) =>
        [.. Regex.Matches(metrics, $"^{Regex.Escape(histogram + "_bucket{" + (labels.Length == 0 ? "" : labels + ","))}le=\"([^\"]+)\"\\}} ", RegexOptions.Multiline)
            .Select(m => m.Groups[1].Value)];

    private static string Braces(string labels) => labels.Length == 0 ? "" : "{" + labels + "}";
}
