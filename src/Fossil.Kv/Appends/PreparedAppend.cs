using Fossil.Kv.Vectors;
using System.Text;
using System.Text.Json;
using Fossil.Kv.Keyspace;
using Fossil.Kv.Records;
using Google.Protobuf;

namespace Fossil.Kv.Appends;

/// <summary>
/// One stream's append, validated and encoded once before it meets etcd. Versions, indexes and the
/// timestamp are filled in when a transaction is built, since they depend on the stream's state then.
/// </summary>
internal sealed class PreparedAppend
{
    /// <summary>Bytes a record grows by when version, index and timestamp are set.</summary>
    private const int AssignedFieldsBytes = 3 * 11;

    private PreparedAppend(string stream, StreamState expected, EventRecord[] events, long encodedBytes)
    {
        Stream = stream;
        Expected = expected;
        Events = events;
        EncodedBytes = encodedBytes;
    }

    public string Stream { get; }

    public StreamState Expected { get; }

    public EventRecord[] Events { get; }

    /// <summary>The append's size once in a batch, plus its entry's event ids.</summary>
    public long EncodedBytes { get; }

    /// <summary>Dimension of the vectors this append carries, 0 when none.</summary>
    public int VectorDimension
    {
        get
        {
            foreach (var e in Events) if (e.Vector.Count > 0) return e.Vector.Count;
            return 0;
        }
    }

    /// <summary>Validates an append against the contract (SPEC §2, §6); throws naming the first problem.</summary>
    /// <param name="stream">The stream appended to.</param>
    /// <param name="expected">The caller's expected stream state.</param>
    /// <param name="events">The events, 1 to 1000.</param>
    /// <param name="vectorDimension">The store's <c>vector.dimension</c>, 0 while no vector has fixed it.</param>
    /// <param name="metric">The store's <c>vector.metric</c>: what a vector must be to be indexed under it (<see cref="VectorValidation.Problem"/>, the index's own rule, so a vector taken now can always be indexed when its segment is sealed).</param>
    public static PreparedAppend Create(string stream, StreamState expected, IReadOnlyList<EventData> events, int vectorDimension, VectorMetric metric = VectorMetric.Cosine)
    {
        StreamName.EnsureValid(stream);
        ArgumentNullException.ThrowIfNull(events);
        if (events.Count == 0) throw new InvalidRequestException($"An append to '{stream}' must carry at least one event.");
        if (events.Count > AppendLimits.MaxEventsPerAppend)
            throw new AppendTooLargeException(
                $"An append carries at most {AppendLimits.MaxEventsPerAppend} events; this one to '{stream}' has {events.Count}.",
                AppendLimits.MaxEventsPerAppend);

        var records = new EventRecord[events.Count];
        var ids = events.Count > 1 ? new HashSet<Guid>() : null;
        long bytes = 0;
        for (var i = 0; i < events.Count; i++)
        {
            var e = events[i] ?? throw new InvalidRequestException($"Event {i} of the append to '{stream}' is null.");
            if (ids is not null && !ids.Add(e.Id)) throw new InvalidRequestException($"Event id {e.Id} appears twice in the append to '{stream}'.");
            records[i] = ToRecord(stream, i, e, ref vectorDimension, metric);
            bytes += records[i].CalculateSize() + AssignedFieldsBytes + 16;
        }
        if (bytes > AppendLimits.MaxAppendBytes)
            throw new AppendTooLargeException(
                $"The append to '{stream}' encodes to {bytes} bytes; one append must fit one etcd request, at most {AppendLimits.MaxAppendBytes} bytes of events.",
                AppendLimits.MaxAppendBytes);
        return new PreparedAppend(stream, expected, records, bytes);
    }

    private static EventRecord ToRecord(string stream, int index, EventData e, ref int vectorDimension, VectorMetric metric)
    {
        // Only formatted when something is wrong: this runs for every event.
        var where = new Where(stream, index);
        if (string.IsNullOrWhiteSpace(e.Type)) throw new InvalidRequestException($"{where} has no type.");
        if (e.Type.Length > AppendLimits.MaxTypeLength) throw new InvalidRequestException($"{where} has a type longer than {AppendLimits.MaxTypeLength} characters.");
        if (!IsText(e.Type)) throw new InvalidRequestException($"{where} has control characters or a lone surrogate in its type.");
        if (e.ContentType is not (EventData.JsonContentType or EventData.BinaryContentType))
            throw new InvalidRequestException($"{where} has content type '{e.ContentType}'; use {EventData.JsonContentType} or {EventData.BinaryContentType}.");
        if (!e.Metadata.IsEmpty) EnsureJsonObject(e.Metadata.Span, where);
        // JSON data is served as JSON (HTTP, SSE, the CLI): bytes that are not would break every reader of them.
        if (e.IsJson && !e.Data.IsEmpty && !IsOneJsonValue(e.Data.Span))
            throw new InvalidRequestException($"{where} has data that is not valid JSON; send other bytes with content type {EventData.BinaryContentType}.");

        var record = new EventRecord
        {
            Id = UnsafeByteOperations.UnsafeWrap(e.Id.ToByteArray(bigEndian: true)),
            Stream = stream,
            Type = e.Type,
            Data = UnsafeByteOperations.UnsafeWrap(e.Data),
            DataIsJson = e.IsJson,
            Metadata = UnsafeByteOperations.UnsafeWrap(e.Metadata),
        };
        if (e.Vector is { } vector)
        {
            if (vector.Length > 0 && vectorDimension != 0 && vector.Length != vectorDimension)
                throw new InvalidRequestException($"{where} has a vector of dimension {vector.Length}; this store's vector.dimension is {vectorDimension}.");
            if (VectorValidation.Problem(vector, metric) is { } problem) throw new InvalidRequestException($"{where} has {problem}.");
            vectorDimension = vector.Length;
            record.Vector.AddRange(vector);
        }
        if (e.Entities is { } entities)
        {
            if (entities.Count > AppendLimits.MaxEntitiesPerEvent) throw new InvalidRequestException($"{where} names more than {AppendLimits.MaxEntitiesPerEvent} entities.");
            foreach (var entity in entities)
            {
                if (!EntityNames.IsValid(entity))
                    throw new InvalidRequestException($"{where} has an invalid entity name: {EntityNames.Rule}.");
                if (!record.Entities.Contains(entity)) record.Entities.Add(entity);
            }
        }
        return record;
    }

    /// <summary>
    /// No control characters and no lone surrogate: UTF-8 cannot carry a lone surrogate, and the record would
    /// silently store U+FFFD in its place, so the event would not read back as it was sent.
    /// </summary>
    internal static bool IsText(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsControl(c) || char.IsLowSurrogate(c)) return false;
            if (!char.IsHighSurrogate(c)) continue;
            if (i + 1 >= text.Length || !char.IsLowSurrogate(text[i + 1])) return false;
            i++;
        }
        return true;
    }

    /// <summary>Names an event in error messages; formatted only when one is thrown.</summary>
    private readonly record struct Where(string Stream, int Index)
    {
        public override string ToString() => $"Event {Index} of the append to '{Stream}'";
    }

    /// <summary>Exactly one JSON value (any kind), nothing after it.</summary>
    private static bool IsOneJsonValue(ReadOnlySpan<byte> json)
    {
        try
        {
            var reader = new Utf8JsonReader(json);
            return reader.Read() && reader.TrySkip() && !reader.Read();
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static void EnsureJsonObject(ReadOnlySpan<byte> json, Where where)
    {
        try
        {
            var reader = new Utf8JsonReader(json);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject || !reader.TrySkip() || reader.Read())
                throw new InvalidRequestException($"{where} has metadata that is not a JSON object.");
        }
        catch (JsonException)
        {
            throw new InvalidRequestException($"{where} has metadata that is not valid JSON.");
        }
    }

    public IEnumerable<Guid> EventIds => Events.Select(e => new Guid(e.Id.Span, bigEndian: true));
}
