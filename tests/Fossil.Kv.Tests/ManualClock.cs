namespace Fossil.Kv.Tests;

/// <summary>A clock a test moves by hand, so windows end and retention passes without waiting for them.</summary>
internal sealed class ManualClock(DateTimeOffset now) : TimeProvider
{
    private DateTimeOffset _now = now;

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}
