namespace Fossil.Kv;

/// <summary>
/// An event to append, as in the KurrentDB client: an id (generated when not given; re-sending the same
/// id makes an append idempotent), a type, the data and optional metadata. Fossil.Kv adds an optional
/// embedding (<see cref="Vector"/>) and the names of entities the event mentions (<see cref="Entities"/>).
/// </summary>
public sealed class EventData
{
    public const string JsonContentType = "application/json";
    public const string BinaryContentType = "application/octet-stream";

    /// <param name="id">The event's id; null to generate one.</param>
    /// <param name="type">The event type.</param>
    /// <param name="data">The payload.</param>
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

    public Guid Id { get; }

    public string Type { get; }

    public ReadOnlyMemory<byte> Data { get; }

    /// <summary>UTF-8 JSON object, or empty for none.</summary>
    public ReadOnlyMemory<byte> Metadata { get; }

    /// <summary><see cref="JsonContentType"/> (the default) or <see cref="BinaryContentType"/>.</summary>
    public string ContentType { get; }

    public bool IsJson => ContentType == JsonContentType;

    /// <summary>The event's embedding; its length must equal the store's <c>vector.dimension</c>.</summary>
    public float[]? Vector { get; init; }

    public IReadOnlyList<string>? Entities { get; init; }
}

/// <summary>An event as read back from the store.</summary>
public sealed class RecordedEvent
{
    public required Guid Id { get; init; }

    public required string Stream { get; init; }

    public required long Version { get; init; }

    public required string Type { get; init; }

    public required ReadOnlyMemory<byte> Data { get; init; }

    public required bool IsJson { get; init; }

    public required ReadOnlyMemory<byte> Metadata { get; init; }

    public required DateTimeOffset Timestamp { get; init; }

    /// <summary>Global position: commit order across the whole store.</summary>
    public required Position Position { get; init; }

    public required string Segment { get; init; }

    /// <summary>The event's address within its segment; the same while active and once sealed.</summary>
    public required long SegmentPosition { get; init; }

    public IReadOnlyList<string> Entities { get; init; } = [];

    public float[]? Vector { get; init; }
}

/// <summary>What an append wrote (or, for an idempotent repeat, what the original append wrote).</summary>
public sealed record AppendResult(string Stream, long FirstVersion, long LastVersion, Position Position, string Segment, bool IsRepeat)
{
    /// <summary>The stream's version after the append: its last event's version (KurrentDB's NextExpectedVersion).</summary>
    public long NextExpectedVersion => LastVersion;
}

/// <summary>One stream's part of an atomic multi-stream append.</summary>
public sealed record StreamAppend(string Stream, StreamState ExpectedState, IReadOnlyList<EventData> Events);
