using System.Globalization;

namespace Fossil.Kv.Configuration;

/// <summary>
/// Parses the human forms of durations (<c>500ms</c>, <c>5s</c>, <c>10m</c>, <c>1h</c>, <c>1d</c>, <c>2w</c>)
/// and sizes (<c>512B</c>, <c>64KB</c>, <c>64MB</c>, <c>10GB</c>, <c>1TB</c>; binary multiples, so 1KB = 1024 bytes)
/// used by settings, and formats them back the same way.
/// </summary>
public static class SettingValues
{
    /// <summary>
    /// Parses a whole number followed by <c>ms</c>, <c>s</c>, <c>m</c>, <c>h</c>, <c>d</c> or <c>w</c> (any case,
    /// surrounding spaces allowed). False for no unit, a fraction, a sign, null, or a value past <see cref="TimeSpan.MaxValue"/>.
    /// </summary>
    public static bool TryParseDuration(string? text, out TimeSpan duration)
    {
        duration = default;
        if (!TrySplit(text, out var number, out var unit)) return false;
        var unitLength = unit.ToUpperInvariant() switch
        {
            "MS" => TimeSpan.FromMilliseconds(1),
            "S" => TimeSpan.FromSeconds(1),
            "M" => TimeSpan.FromMinutes(1),
            "H" => TimeSpan.FromHours(1),
            "D" => TimeSpan.FromDays(1),
            "W" => TimeSpan.FromDays(7),
            _ => TimeSpan.Zero,
        };
        if (unitLength == TimeSpan.Zero || number > TimeSpan.MaxValue.Ticks / unitLength.Ticks) return false;
        duration = TimeSpan.FromTicks(number * unitLength.Ticks);
        return true;
    }

    /// <summary>
    /// Parses a whole number followed by <c>B</c>, <c>KB</c>, <c>MB</c>, <c>GB</c> or <c>TB</c> (also <c>K</c>/<c>KiB</c>
    /// and so on; any case; no unit means bytes). Multiples are binary. False for a fraction, a sign, null, or an overflow.
    /// </summary>
    public static bool TryParseSize(string? text, out long bytes)
    {
        bytes = 0;
        if (!TrySplit(text, out var number, out var unit)) return false;
        long multiplier = unit.ToUpperInvariant() switch
        {
            "B" or "" => 1,
            "KB" or "KIB" or "K" => 1L << 10,
            "MB" or "MIB" or "M" => 1L << 20,
            "GB" or "GIB" or "G" => 1L << 30,
            "TB" or "TIB" or "T" => 1L << 40,
            _ => 0,
        };
        if (multiplier == 0 || number > long.MaxValue / multiplier) return false;
        bytes = number * multiplier;
        return true;
    }

    /// <summary>The shortest of <c>ms</c>, <c>s</c>, <c>m</c>, <c>h</c>, <c>d</c> (never <c>w</c>: <c>7d</c> reads back as <c>7d</c>, in the contract's units).</summary>
    public static string FormatDuration(TimeSpan duration)
    {
        var ms = (long)duration.TotalMilliseconds;
        foreach (var (unit, length) in (ReadOnlySpan<(string, long)>)[("d", 86_400_000L), ("h", 3_600_000L), ("m", 60_000L), ("s", 1000L)])
            if (ms != 0 && ms % length == 0) return string.Create(CultureInfo.InvariantCulture, $"{ms / length}{unit}");
        return string.Create(CultureInfo.InvariantCulture, $"{ms}ms");
    }

    /// <summary>The largest of <c>TB</c>, <c>GB</c>, <c>MB</c>, <c>KB</c> that divides <paramref name="bytes"/> exactly, else <c>B</c>: <c>10GB</c>, <c>1536KB</c>, <c>100B</c>.</summary>
    public static string FormatSize(long bytes)
    {
        foreach (var (unit, length) in (ReadOnlySpan<(string, long)>)[("TB", 1L << 40), ("GB", 1L << 30), ("MB", 1L << 20), ("KB", 1L << 10)])
            if (bytes != 0 && bytes % length == 0) return string.Create(CultureInfo.InvariantCulture, $"{bytes / length}{unit}");
        return string.Create(CultureInfo.InvariantCulture, $"{bytes}B");
    }

    private static bool TrySplit(string? text, out long number, out string unit)
    {
        number = 0;
        unit = "";
        var trimmed = text.AsSpan().Trim();
        var digits = 0;
        while (digits < trimmed.Length && char.IsAsciiDigit(trimmed[digits])) digits++;
        if (digits == 0 || !long.TryParse(trimmed[..digits], NumberStyles.None, CultureInfo.InvariantCulture, out number)) return false;
        unit = trimmed[digits..].Trim().ToString();
        return true;
    }
}
