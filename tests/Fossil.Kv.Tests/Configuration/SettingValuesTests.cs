using Fossil.Kv.Configuration;
using Fossil.Kv.Segments;

namespace Fossil.Kv.Tests.Configuration;

public sealed class SettingValuesTests
{
    [Theory]
    [InlineData("500ms", 500)]
    [InlineData("5s", 5_000)]
    [InlineData("10m", 600_000)]
    [InlineData("1h", 3_600_000)]
    [InlineData("1d", 86_400_000)]
    [InlineData(" 30d ", 2_592_000_000)]
    [InlineData("2w", 1_209_600_000)]
    public void durations_parse(string text, long milliseconds)
    {
        Assert.True(SettingValues.TryParseDuration(text, out var duration));
        Assert.Equal(milliseconds, (long)duration.TotalMilliseconds);
    }

    [Theory]
    [InlineData("")]
    [InlineData("d")]
    [InlineData("5")]
    [InlineData("5x")]
    [InlineData("-5s")]
    [InlineData("1.5h")]
    [InlineData("99999999999999999999d")]
    public void malformed_durations_are_rejected(string text) => Assert.False(SettingValues.TryParseDuration(text, out _));

    [Theory]
    [InlineData("64MB", 64L << 20)]
    [InlineData("10GB", 10L << 30)]
    [InlineData("512B", 512)]
    [InlineData("1TB", 1L << 40)]
    [InlineData("4KiB", 4096)]
    public void sizes_parse(string text, long bytes)
    {
        Assert.True(SettingValues.TryParseSize(text, out var parsed));
        Assert.Equal(bytes, parsed);
    }

    [Theory]
    [InlineData("MB")]
    [InlineData("10XB")]
    [InlineData("-1GB")]
    [InlineData("99999999999TB")]
    public void malformed_sizes_are_rejected(string text) => Assert.False(SettingValues.TryParseSize(text, out _));

    [Theory]
    [InlineData("1d")]
    [InlineData("5s")]
    [InlineData("500ms")]
    [InlineData("90m")]
    [InlineData("7d")]
    [InlineData("14d")]
    public void durations_format_back_to_their_short_form(string text)
    {
        Assert.True(SettingValues.TryParseDuration(text, out var duration));
        Assert.Equal(text, SettingValues.FormatDuration(duration));
    }

    [Theory]
    [InlineData("500ms", 500)]
    [InlineData("1s", 1_000)]
    [InlineData("30d", 2_592_000_000)]
    public void retention_takes_any_positive_duration_and_reads_back_as_given(string text, long milliseconds)
    {
        var settings = new StoreSettings().With("segment.retention", text);

        Assert.Equal(milliseconds, (long)settings.SegmentRetention.TotalMilliseconds);
        Assert.Equal(text, settings.Get("segment.retention"));
        Assert.Throws<InvalidSettingException>(() => new StoreSettings().With("segment.retention", "0s"));
    }

    [Fact]
    public void windows_align_to_utc_boundaries()
    {
        var at = new DateTime(2026, 11, 22, 13, 45, 17, 250, DateTimeKind.Utc);
        Assert.Equal(new DateTime(2026, 11, 22, 0, 0, 0, DateTimeKind.Utc), SegmentWindows.StartOf(at, TimeSpan.FromDays(1)));
        Assert.Equal(new DateTime(2026, 11, 22, 13, 45, 15, DateTimeKind.Utc), SegmentWindows.StartOf(at, TimeSpan.FromSeconds(5)));
        Assert.Equal(new DateTime(2026, 11, 22, 13, 0, 0, DateTimeKind.Utc), SegmentWindows.StartOf(at, TimeSpan.FromHours(1)));
    }

    [Fact]
    public void partitions_are_stable_and_spread()
    {
        // Golden values from an independent implementation: changing the hash would move existing streams.
        Assert.Equal(3157916420740554561UL, StreamPartitioner.Hash("orders-1"));
        Assert.Equal(17148751096832622920UL, StreamPartitioner.Hash("ünï/€"));
        var counts = new int[8];
        for (var i = 0; i < 8000; i++) counts[StreamPartitioner.PartitionOf($"stream-{i}", 8)]++;
        Assert.All(counts, c => Assert.InRange(c, 800, 1200));
    }
}
