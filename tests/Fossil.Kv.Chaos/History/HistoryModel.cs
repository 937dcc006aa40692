namespace Fossil.Kv.Chaos.History;

/// <summary>What a client knows after one attempt: it worked, it certainly failed, or it cannot tell.</summary>
public enum Outcome
{
    Acknowledged,
    DefiniteError,
    Unknown,

    /// <summary>The connection was refused: the request never reached a node, so it wrote nothing.</summary>
    NotSent,
}

/// <summary>One stream's part of an append as sent: expected version (<c>any</c>, <c>no_stream</c> or a number) and event ids in order.</summary>
public sealed record StreamPart(string Stream, string Expected, IReadOnlyList<Guid> EventIds)
{
    /// <summary>The version the first event must land at when the expectation is exact (<c>no_stream</c> is exact −1).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public long? ExactFirstVersion =>
        Expected == "no_stream" ? 0
        : long.TryParse(Expected, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) ? n + 1
        : null;
}

/// <summary>The answer for one stream of an acknowledged append.</summary>
public sealed record PartResult(string Stream, long FirstVersion, long LastVersion, string Position);

/// <summary>A 409 answer: the stream, what was expected and what the node said the stream is at (null for duplicate ids).</summary>
public sealed record Conflict(string Stream, string Expected, string? Actual);

/// <summary>One HTTP attempt of an append. <see cref="Resend"/> marks a deliberate re-send after an acknowledgement.</summary>
public sealed record AppendAttempt(
    int Number,
    string Node,
    DateTime StartedAt,
    double Milliseconds,
    Outcome Outcome,
    int? Status,
    string? Error,
    IReadOnlyList<PartResult>? Results = null,
    Conflict? Conflict = null,
    bool Resend = false);

/// <summary>An append as the client saw it: the same event ids on every attempt.</summary>
public sealed record AppendOperation(long Id, string Client, bool Multi, IReadOnlyList<StreamPart> Parts, IReadOnlyList<AppendAttempt> Attempts);

/// <summary>An event as some reader saw it (the segment only helps to read a violation; it is compared like the rest).</summary>
public sealed record ObservedEvent(Guid Id, string Stream, long Version, string Position, string Segment = "");

public enum ObservationKind
{
    /// <summary>Pages of <c>GET /all/events</c>; <c>After</c> is a position.</summary>
    GlobalRead,

    /// <summary><c>GET /all/subscribe</c>; <c>After</c> is a position.</summary>
    GlobalSubscription,

    /// <summary>Pages of <c>GET /streams/{s}/events</c>; <c>After</c> is a version.</summary>
    StreamRead,

    /// <summary><c>GET /streams/{s}/subscribe</c>; <c>After</c> is a version.</summary>
    StreamSubscription,
}

/// <summary>
/// What one reader or subscriber saw, in arrival order. <paramref name="After"/> is where it started
/// (exclusive); null means "wherever the live feed began", so its range starts at its first event.
/// <paramref name="Complete"/> says it read to the end of the final history, so its range ends there too.
/// </summary>
public sealed record Observation(string Observer, ObservationKind Kind, string? Stream, string? After, IReadOnlyList<ObservedEvent> Events, bool Complete = false);

/// <summary>The store read after the run: the global log from the start, and every stream from version 0.</summary>
public sealed record FinalHistory(IReadOnlyList<ObservedEvent> Log, IReadOnlyDictionary<string, IReadOnlyList<ObservedEvent>> Streams);

/// <summary>Everything the checker judges.</summary>
public sealed record ChaosHistory(IReadOnlyList<AppendOperation> Operations, IReadOnlyList<Observation> Observations, FinalHistory Final);
