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

    public static StreamState Any { get; } = new(AnyValue);

    public static StreamState NoStream { get; } = new(NoStreamValue);

    public static StreamState StreamExists { get; } = new(ExistsValue);

    /// <summary>
    /// The highest stream version there can be (10^18 - 1): versions, and a version plus an append's events,
    /// then never overflow, and every version fits the keyspace's fixed-width numbers.
    /// </summary>
    public const long MaxVersion = 999_999_999_999_999_999;

    /// <exception cref="ArgumentOutOfRangeException"><paramref name="version"/> is negative or over <see cref="MaxVersion"/>.</exception>
    public static StreamState StreamRevision(long version)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(version);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(version, MaxVersion);
        return new StreamState(version);
    }

    public bool IsAny => Value == AnyValue;

    public bool IsNoStream => Value == NoStreamValue;

    public bool IsStreamExists => Value == ExistsValue;

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
