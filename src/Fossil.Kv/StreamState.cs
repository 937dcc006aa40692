using System.Globalization;

namespace Fossil.Kv;

/// <summary>
/// What an append expects of its stream, as in the KurrentDB/EventStoreDB client: <see cref="Any"/>,
/// <see cref="NoStream"/>, <see cref="StreamExists"/>, or an exact last version
/// (<see cref="StreamRevision"/>, 0-based).
/// </summary>
public readonly record struct StreamState
{
    private const long AnyValue = -2;
    private const long NoStreamValue = -1;
    private const long ExistsValue = -4;

    private StreamState(long value) => Value = value;

    /// <summary>-2 any, -1 no stream, -4 exists, otherwise the exact expected last version.</summary>
    public long Value { get; }

    /// <summary>No expectation: the append goes ahead whatever the stream's version, and creates the stream if needed.</summary>
    public static StreamState Any { get; } = new(AnyValue);

    /// <summary>The stream must have no events yet.</summary>
    public static StreamState NoStream { get; } = new(NoStreamValue);

    /// <summary>The stream must have at least one event, whatever its version.</summary>
    public static StreamState StreamExists { get; } = new(ExistsValue);

    /// <summary>
    /// The highest stream version there can be (10^18 - 1): versions, and a version plus an append's events,
    /// then never overflow, and every version fits the keyspace's fixed-width numbers.
    /// </summary>
    public const long MaxVersion = 999_999_999_999_999_999;

    /// <summary>The stream's last event must be at exactly <paramref name="version"/> (0-based: 0 after one event).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="version"/> is negative or over <see cref="MaxVersion"/>.</exception>
    public static StreamState StreamRevision(long version)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(version);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(version, MaxVersion);
        return new StreamState(version);
    }

    /// <summary>Whether this is <see cref="Any"/>.</summary>
    public bool IsAny => Value == AnyValue;

    /// <summary>Whether this is <see cref="NoStream"/>.</summary>
    public bool IsNoStream => Value == NoStreamValue;

    /// <summary>Whether this is <see cref="StreamExists"/>.</summary>
    public bool IsStreamExists => Value == ExistsValue;

    /// <summary>Whether this expects an exact version (<see cref="StreamRevision"/>); the version is <see cref="Value"/>.</summary>
    public bool IsExact => Value >= 0;

    /// <summary>Whether a stream whose last version is <paramref name="actualVersion"/> (-1: none) satisfies this expectation.</summary>
    public bool IsSatisfiedBy(long actualVersion) => Value switch
    {
        AnyValue => true,
        NoStreamValue => actualVersion < 0,
        ExistsValue => actualVersion >= 0,
        _ => actualVersion == Value,
    };

    /// <summary>The wire form: <c>any</c>, <c>no_stream</c>, <c>exists</c> or the version number.</summary>
    public override string ToString() => Value switch
    {
        AnyValue => "any",
        NoStreamValue => "no_stream",
        ExistsValue => "exists",
        _ => Value.ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>
    /// Parses the wire form <see cref="ToString"/> writes: <c>any</c>, <c>no_stream</c>, <c>exists</c> or a
    /// version from 0 to <see cref="MaxVersion"/> in plain digits. False for anything else, including null.
    /// </summary>
    public static bool TryParse(string? text, out StreamState state)
    {
        state = default;
        switch (text)
        {
            case "any": state = Any; return true;
            case "no_stream": state = NoStream; return true;
            case "exists": state = StreamExists; return true;
        }
        if (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var version) && version <= MaxVersion)
        {
            state = new StreamState(version);
            return true;
        }
        return false;
    }
}
