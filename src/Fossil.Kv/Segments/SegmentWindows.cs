namespace Fossil.Kv.Segments;

/// <summary>Time windows aligned to the Unix epoch in UTC, so a 1-day window starts at midnight UTC.</summary>
public static class SegmentWindows
{
    /// <summary>Start (UTC) of the window of length <paramref name="duration"/> that contains <paramref name="utc"/>; a local time is converted first.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="duration"/> is not positive.</exception>
    public static DateTime StartOf(DateTime utc, TimeSpan duration)
    {
        if (duration <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(duration), duration, "A window must be longer than zero.");
        var sinceEpoch = utc.ToUniversalTime().Ticks - DateTime.UnixEpoch.Ticks;
        var aligned = sinceEpoch - (((sinceEpoch % duration.Ticks) + duration.Ticks) % duration.Ticks);
        return new DateTime(DateTime.UnixEpoch.Ticks + aligned, DateTimeKind.Utc);
    }
}
