namespace Fossil.Kv;

/// <summary>
/// An event to append, as in the KurrentDB client: an id (generated when not given; re-sending the same
/// id makes an append idempotent), a type, the data and optional metadata. Fossil.Kv adds an optional
/// embedding (<see cref="Vector"/>) and the names of entities the event mentions (<see cref="Entities"/>).
/// </summary>
public sealed class EventData
{
    /// <summary>Content type of data that is one JSON value; the store checks it and serves it as JSON.</summary>
    public const string JsonContentType = "application/json";

    /// <summary>Content type of data that is any bytes; the store keeps it as it is.</summary>
    public const string BinaryContentType = "application/octet-stream";

    /// <summary>An event with the given id, type and payload; validated when appended, not here.</summary>
    /// <param name="id">The event's id; null to generate one. Re-sending an append with the same ids makes it idempotent.</param>
    /// <param name="type">The event type: not blank, at most 256 characters, no control characters or lone surrogates.</param>
    /// <param name="data">The payload: one JSON value (or empty) for <see cref="JsonContentType"/>, any bytes for <see cref="BinaryContentType"/>.</param>
    /// <param name="metadata">A UTF-8 JSON object, or null for none.</param>
    /// <param name="contentType"><see cref="JsonContentType"/> or <see cref="BinaryContentType"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="id"/> is <see cref="Guid.Empty"/>, which is no id (as in the KurrentDB client).</exception>
    public EventData(Guid? id, string type, ReadOnlyMemory<byte> data, ReadOnlyMemory<byte>? metadata = null, string contentType = JsonContentType)
    {
        if (id == Guid.Empty)
            throw new ArgumentOutOfRangeException(nameof(id), "The nil UUID is not an event id; pass null to have one generated.");
        Id = id ?? Guid.NewGuid();
        Type = type;
        Data = data;
        Metadata = metadata ?? ReadOnlyMemory<byte>.Empty;
        ContentType = contentType;
    }

    /// <summary>The event's id: the one given, or a new random one. Never <see cref="Guid.Empty"/>.</summary>
    public Guid Id { get; }

    /// <summary>The event type, as given.</summary>
    public string Type { get; }

    /// <summary>The payload; the store keeps a reference to it until the append completes, so do not change it meanwhile.</summary>
    public ReadOnlyMemory<byte> Data { get; }

    /// <summary>UTF-8 JSON object, or empty for none.</summary>
    public ReadOnlyMemory<byte> Metadata { get; }

    /// <summary><see cref="JsonContentType"/> (the default) or <see cref="BinaryContentType"/>.</summary>
    public string ContentType { get; }

    /// <summary>Whether <see cref="ContentType"/> is <see cref="JsonContentType"/>.</summary>
    public bool IsJson => ContentType == JsonContentType;

    /// <summary>The event's embedding; its length must equal the store's <c>vector.dimension</c>.</summary>
    public float[]? Vector { get; init; }

    /// <summary>
    /// Names of entities the event mentions, for search and the entity graph; null or empty for none. At most 256,
    /// each 1–256 bytes of UTF-8, not blank, without control characters; repeats are stored once.
    /// </summary>
    public IReadOnlyList<string>? Entities { get; init; }
}

/// <summary>An event as read back from the store.</summary>
public sealed class RecordedEvent
{
    /// <summary>The id the event was appended with.</summary>
    public required Guid Id { get; init; }

    /// <summary>The stream the event belongs to.</summary>
    public required string Stream { get; init; }

    /// <summary>The event's version in its stream: 0 for the first event, then one more per event.</summary>
    public required long Version { get; init; }

    /// <summary>The event type.</summary>
    public required string Type { get; init; }

    /// <summary>The payload, as appended.</summary>
    public required ReadOnlyMemory<byte> Data { get; init; }

    /// <summary>Whether <see cref="Data"/> was appended as JSON (<see cref="EventData.JsonContentType"/>) rather than binary.</summary>
    public required bool IsJson { get; init; }

    /// <summary>UTF-8 JSON object, or empty for none.</summary>
    public required ReadOnlyMemory<byte> Metadata { get; init; }

    /// <summary>
    /// The writing node's clock when it sent the transaction that committed the event (UTC, microsecond
    /// precision); events of one transaction share it. Commit order is <see cref="Position"/>, not this.
    /// </summary>
    public required DateTimeOffset Timestamp { get; init; }

    /// <summary>Global position: commit order across the whole store.</summary>
    public required Position Position { get; init; }

    /// <summary>Id of the segment that holds the event, e.g. <c>20261122T000000Z-p03-g000</c>.</summary>
    public required string Segment { get; init; }

    /// <summary>The event's address within its segment; the same while active and once sealed.</summary>
    public required long SegmentPosition { get; init; }

    /// <summary>Names of entities the event mentions; empty for none.</summary>
    public IReadOnlyList<string> Entities { get; init; } = [];

    /// <summary>The event's embedding; null when it has none.</summary>
    public float[]? Vector { get; init; }
}

/// <summary>What an append wrote (or, for an idempotent repeat, what the original append wrote).</summary>
/// <param name="Stream">The stream appended to.</param>
/// <param name="FirstVersion">The version of the append's first event.</param>
/// <param name="LastVersion">The version of the append's last event: the stream's version after the append.</param>
/// <param name="Position">
/// The global position of the append's last event (KurrentDB's <c>LogPosition</c>). Reading the global log from it
/// (inclusive) reads that event again; subscribe <em>after</em> it to see only later events.
/// </param>
/// <param name="Segment">The id of the segment the events were written to.</param>
/// <param name="IsRepeat">
/// True when the append was an idempotent repeat: its event ids were written already, nothing was written now, and
/// the rest of this result describes the original append.
/// </param>
public sealed record AppendResult(string Stream, long FirstVersion, long LastVersion, Position Position, string Segment, bool IsRepeat)
{
    /// <summary>The stream's version after the append: its last event's version (KurrentDB's NextExpectedVersion).</summary>
    public long NextExpectedVersion => LastVersion;

    /// <summary>
    /// What the next append to the stream expects if nothing else writes to it first: <see cref="StreamState.StreamRevision"/>
    /// of <see cref="LastVersion"/> (KurrentDB's <c>NextExpectedStreamState</c>).
    /// </summary>
    public StreamState NextExpectedStreamState => StreamState.StreamRevision(LastVersion);
}

/// <summary>One stream's part of an atomic multi-stream append.</summary>
/// <param name="Stream">The stream to append to.</param>
/// <param name="ExpectedState">What the stream must be like for the whole append to go ahead.</param>
/// <param name="Events">The events for this stream, in order (at least one).</param>
public sealed record StreamAppend(string Stream, StreamState ExpectedState, IReadOnlyList<EventData> Events);
