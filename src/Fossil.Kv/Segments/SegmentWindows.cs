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

    /// <summary>The first window boundary of length <paramref name="duration"/> strictly after <paramref name="utc"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="duration"/> is not positive.</exception>
    public static DateTime NextBoundary(DateTime utc, TimeSpan duration) => StartOf(utc, duration) + duration;

    /// <summary>
    /// When a window that began at <paramref name="start"/> and was made to last until <paramref name="end"/> stops taking
    /// writes under the <paramref name="duration"/> now configured: at its end, or sooner, at the first boundary of a
    /// shorter duration set since it began. A change of <c>segment.duration</c> so applies at the new duration's next
    /// UTC boundary rather than when a long window (a day, by default) runs out.
    /// </summary>
    public static DateTime EndUnder(DateTime start, DateTime end, TimeSpan duration)
    {
        var boundary = NextBoundary(start, duration);
        return boundary < end ? boundary : end;
    }
}
