using System.Globalization;

namespace Fossil.Kv.Segments;

/// <summary>
/// A segment's id: its window's UTC start, its partition and a generation that counts early rotations
/// (<c>segment.max_size</c>) within the window, e.g. <c>20261122T000000Z-p03-g000</c>. Ids sort by
/// time, then partition, then generation, and read as what they are.
/// </summary>
public readonly record struct SegmentId(DateTime WindowStart, int Partition, int Generation) : IComparable<SegmentId>
{
    /// <summary>Partitions an id can name (two digits: 0 to 99); the <c>segment.partitions</c> setting allows fewer.</summary>
    public const int MaxPartitions = 100;

    /// <summary>Highest generation an id can name (three digits): early rotations one window's partition can have.</summary>
    public const int MaxGeneration = 999;
    private const string TimeFormat = "yyyyMMdd'T'HHmmss'Z'";

    /// <summary>The canonical form, e.g. <c>20261122T000000Z-p03-g000</c>; ordinal order of these strings is id order.</summary>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{WindowStart.ToString(TimeFormat, CultureInfo.InvariantCulture)}-p{Partition:D2}-g{Generation:D3}");

    /// <summary>Orders by window start, then partition, then generation.</summary>
    public int CompareTo(SegmentId other)
    {
        var byTime = WindowStart.CompareTo(other.WindowStart);
        if (byTime != 0) return byTime;
        var byPartition = Partition.CompareTo(other.Partition);
        return byPartition != 0 ? byPartition : Generation.CompareTo(other.Generation);
    }

    /// <summary>Parses the exact canonical form <see cref="ToString"/> writes; false for anything else, including null.</summary>
    public static bool TryParse(string? text, out SegmentId segment)
    {
        segment = default;
        // 20261122T000000Z-p03-g000
        if (text is not { Length: 25 } || text[16] != '-' || text[17] != 'p' || text[20] != '-' || text[21] != 'g') return false;
        if (!DateTime.TryParseExact(text.AsSpan(0, 16), TimeFormat, CultureInfo.InvariantCulture,
                DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var start)) return false;
        if (!int.TryParse(text.AsSpan(18, 2), NumberStyles.None, CultureInfo.InvariantCulture, out var partition)) return false;
        if (!int.TryParse(text.AsSpan(22, 3), NumberStyles.None, CultureInfo.InvariantCulture, out var generation)) return false;
        segment = new SegmentId(DateTime.SpecifyKind(start, DateTimeKind.Utc), partition, generation);
        return true;
    }

    /// <summary>Parses the canonical form.</summary>
    /// <exception cref="FormatException"><paramref name="text"/> is not a segment id.</exception>
    public static SegmentId Parse(string text) =>
        TryParse(text, out var segment) ? segment : throw new FormatException($"'{text}' is not a segment id (expected e.g. 20261122T000000Z-p03-g000).");

    /// <summary>Whether <paramref name="left"/> sorts before <paramref name="right"/> (see <see cref="CompareTo"/>).</summary>
    public static bool operator <(SegmentId left, SegmentId right) => left.CompareTo(right) < 0;

    /// <summary>Whether <paramref name="left"/> sorts after <paramref name="right"/>.</summary>
    public static bool operator >(SegmentId left, SegmentId right) => left.CompareTo(right) > 0;

    /// <summary>Whether <paramref name="left"/> is <paramref name="right"/> or sorts before it.</summary>
    public static bool operator <=(SegmentId left, SegmentId right) => left.CompareTo(right) <= 0;

    /// <summary>Whether <paramref name="left"/> is <paramref name="right"/> or sorts after it.</summary>
    public static bool operator >=(SegmentId left, SegmentId right) => left.CompareTo(right) >= 0;
}
