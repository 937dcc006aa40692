using System.CommandLine;
using System.Globalization;

namespace Fossil.Kv.Cli.Commands;

/// <summary>
/// A vector given on the command line, as <c>search</c> takes a query and <c>streams append</c> an event's
/// embedding: one parser, so both accept the same text. What the store refuses in a vector (non-finite values,
/// a wrong dimension) is left to the store, whose message names the rule.
/// </summary>
internal static class VectorInput
{
    /// <summary>The <c>--vector</c> option; <paramref name="what"/> says what the vector is for, <paramref name="howMany"/> how long it must be.</summary>
    public static Option<string?> Option(string what, string howMany = "") => new("--vector")
    {
        Description = $"{what}: comma-separated numbers{howMany} (use --vector=-0.1,... when it starts with a minus)",
        HelpName = "x1,x2,...",
    };

    /// <summary>
    /// Numbers separated by commas or by whitespace, optionally inside a JSON array's brackets. With commas, every
    /// component must hold a number: <c>1,,2</c> is a typo, and reading it as two numbers could fix the store's
    /// vector dimension at the wrong value for good.
    /// </summary>
    public static float[] Parse(string text, string what)
    {
        var trimmed = text.Trim();
        if (trimmed.StartsWith('[') && trimmed.EndsWith(']')) trimmed = trimmed[1..^1].Trim();
        if (trimmed.Length == 0) throw CliException.Invalid($"{what} has no numbers.");
        var parts = trimmed.Contains(',', StringComparison.Ordinal)
            ? trimmed.Split(',', StringSplitOptions.TrimEntries)
            : trimmed.Split((char[])[' ', '\t', '\r', '\n'], StringSplitOptions.RemoveEmptyEntries);
        var values = new float[parts.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            if (parts[i].Length == 0)
                throw CliException.Invalid($"{what}: component {i} is empty (two commas in a row, or one at an end).");
            if (!float.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out values[i]))
                throw CliException.Invalid($"{what}: component {i} ('{parts[i]}') is not a number.");
        }
        return values;
    }
}
