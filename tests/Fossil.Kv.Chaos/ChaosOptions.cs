using Fossil.Kv.Configuration;

namespace Fossil.Kv.Chaos;

/// <summary>How long and how hard a chaos run pushes, and where it keeps its files.</summary>
public sealed record ChaosOptions
{
    /// <summary>How long clients append and faults are injected (the drain, healing and checking come after).</summary>
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(120);

    public int Nodes { get; init; } = 2;

    public int Appenders { get; init; } = 6;

    public int Readers { get; init; } = 2;

    /// <summary>Streams shared by every appender, so they contend.</summary>
    public int Streams { get; init; } = 8;

    /// <summary><c>segment.duration</c>: a few seconds, so segments seal and materialize throughout the run.</summary>
    public string SegmentDuration { get; init; } = "3s";

    /// <summary>The quiet time between one healed fault and the next.</summary>
    public TimeSpan FaultGap { get; init; } = TimeSpan.FromSeconds(4);

    /// <summary>How long a killed or paused etcd member stays down.</summary>
    public TimeSpan EtcdDownTime { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>How long a killed node stays down before it is started again on the same directory.</summary>
    public TimeSpan NodeDownTime { get; init; } = TimeSpan.FromSeconds(1);

    public double MultiStreamProbability { get; init; } = 0.3;

    /// <summary>Share of stream parts sent with <c>any</c>; the rest expect the version the client last saw.</summary>
    public double AnyProbability { get; init; } = 0.35;

    /// <summary>Share of acknowledged exact appends sent once more, as after a lost answer.</summary>
    public double ResendProbability { get; init; } = 0.05;

    /// <summary>Share of appends given up after an attempt with an unknown outcome instead of retried.</summary>
    public double AbandonProbability { get; init; } = 0.3;

    public int Seed { get; init; } = 1;

    /// <summary>Node directories, logs and the recorded history; a new temporary directory when null.</summary>
    public string? WorkDirectory { get; init; }

    /// <summary>Where progress lines go (faults as they happen, counts every 10 s).</summary>
    public TextWriter? Progress { get; init; }

    public TimeSpan SegmentWindow =>
        SettingValues.TryParseDuration(SegmentDuration, out var window) ? window
        : throw new FormatException($"segment duration '{SegmentDuration}' is not a duration like 3s.");
}
