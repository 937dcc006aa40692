using System.Text.Json;

namespace Fossil.Kv.Node.Http;

/// <summary>
/// Parses append bodies with a forward-only reader (no JSON DOM): event data is kept as the raw JSON
/// bytes of the request, sliced out without re-serializing. Every problem is an
/// <see cref="InvalidRequestException"/> that names it.
/// </summary>
internal static class AppendRequestParser
{
    /// <summary><c>{"expectedVersion": ..., "events": [...]}</c></summary>
    public static (StreamState Expected, List<EventData> Events) ParseStreamAppend(ReadOnlyMemory<byte> body)
    {
        var reader = Start(body.Span);
        var (expected, events) = ReadStreamAppend(ref reader, body, where: null).Item2;
        End(ref reader);
        return (expected, events);
    }

    /// <summary><c>{"streams": [{"stream", "expectedVersion", "events"}, ...]}</c></summary>
    public static List<StreamAppend> ParseMultiAppend(ReadOnlyMemory<byte> body)
    {
        var reader = Start(body.Span);
        List<StreamAppend>? streams = null;
        while (ReadProperty(ref reader) is { } name)
        {
            if (name != "streams") throw Invalid($"unknown property '{name}' (expected \"streams\")");
            if (streams is not null) throw Twice(name, "");
            Expect(ref reader, JsonTokenType.StartArray, "\"streams\" must be an array");
            streams = [];
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                if (reader.TokenType != JsonTokenType.StartObject) throw Invalid("each entry of \"streams\" must be an object");
                var (stream, (expected, events)) = ReadStreamAppend(ref reader, body, where: $"streams[{streams.Count}] ");
                streams.Add(new StreamAppend(stream!, expected, events));
            }
        }
        End(ref reader);
        return streams is { Count: > 0 } ? streams : throw Invalid("\"streams\" must list at least one stream");
    }

    /// <summary>
    /// After the body's one JSON object only white space may follow: trailing text, a second object or a
    /// comment would otherwise be ignored while the first object is written.
    /// </summary>
    internal static void End(ref Utf8JsonReader reader)
    {
        var end = reader.BytesConsumed;
        bool more;
        try
        {
            more = reader.Read();
        }
        catch (JsonException)
        {
            more = true;
        }
        if (more) throw Invalid($"the body goes on after its JSON object ends (at byte {end}); send exactly one JSON object");
    }

    /// <summary>Marks <paramref name="name"/> as read in the current object; a second time is an error (the JSON would say two things).</summary>
    internal static void Once(ref int seen, int bit, string name, string where)
    {
        if ((seen & bit) != 0) throw Twice(name, where);
        seen |= bit;
    }

    private static InvalidRequestException Twice(string name, string where) =>
        Invalid($"{where}\"{name}\" is given more than once");

    internal static Utf8JsonReader Start(ReadOnlySpan<byte> body)
    {
        var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = 64 });
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) throw Invalid("the body must be a JSON object");
        }
        catch (JsonException e)
        {
            throw Invalid($"the body is not valid JSON ({e.Message})");
        }
        return reader;
    }

    /// <summary>One stream's part; <c>where</c> is null for a single-stream body, else the entry (<c>streams[1] </c>) that messages name.</summary>
    private static (string? Stream, (StreamState, List<EventData>)) ReadStreamAppend(ref Utf8JsonReader reader, ReadOnlyMemory<byte> body, string? where)
    {
        var withStream = where is not null;
        string? stream = null;
        var expected = StreamState.Any;
        List<EventData>? events = null;
        var seen = 0;
        while (ReadProperty(ref reader) is { } name)
        {
            Once(ref seen, name switch { "stream" => 1, "expectedVersion" => 2, "events" => 4, _ => 0 }, name, where ?? "");
            switch (name)
            {
                case "stream" when withStream:
                    Read(ref reader);
                    stream = reader.TokenType == JsonTokenType.String ? Text(ref reader, "\"stream\"") : throw Invalid("\"stream\" must be a string");
                    break;
                case "expectedVersion":
                    expected = ReadExpected(ref reader, where ?? "");
                    break;
                case "events":
                    events = ReadEvents(ref reader, body, where ?? "");
                    break;
                default:
                    throw Invalid($"unknown property '{name}' (expected {(withStream ? "\"stream\", " : "")}\"expectedVersion\" and \"events\")");
            }
        }
        if (withStream && stream is null) throw Invalid("each entry of \"streams\" needs a \"stream\"");
        if (events is null) throw Invalid($"{(stream is null ? "the append" : $"the append to '{stream}'")} has no \"events\" array");
        return (stream, (expected, events));
    }

    private static StreamState ReadExpected(ref Utf8JsonReader reader, string where)
    {
        Read(ref reader);
        if (reader.TokenType == JsonTokenType.Number)
        {
            if (reader.TryGetInt64(out var version) && version is >= 0 and <= StreamState.MaxVersion) return StreamState.StreamRevision(version);
        }
        else if (reader.TokenType == JsonTokenType.String && StreamState.TryParse(Text(ref reader, "\"expectedVersion\""), out var state))
        {
            return state;
        }
        throw Invalid($"{where}\"expectedVersion\" must be \"any\", \"no_stream\", \"exists\" or a version number (0 to {StreamState.MaxVersion})");
    }

    private static List<EventData> ReadEvents(ref Utf8JsonReader reader, ReadOnlyMemory<byte> body, string where)
    {
        Expect(ref reader, JsonTokenType.StartArray, $"{where}\"events\" must be an array");
        var events = new List<EventData>();
        while (Read(ref reader) && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.StartObject) throw Invalid($"{where}event {events.Count} must be an object");
            events.Add(ReadEvent(ref reader, body, where, events.Count));
        }
        return events;
    }

    private static EventData ReadEvent(ref Utf8JsonReader reader, ReadOnlyMemory<byte> body, string where, int index)
    {
        Guid? id = null;
        string? type = null;
        ReadOnlyMemory<byte>? data = null, metadata = null;
        byte[]? binary = null;
        float[]? vector = null;
        List<string>? entities = null;
        var seen = 0;
        while (ReadProperty(ref reader) is { } name)
        {
            Once(ref seen, name switch
            {
                "id" => 1, "type" => 2, "data" => 4, "dataBase64" => 8, "metadata" => 16, "vector" => 32, "entities" => 64, _ => 0,
            }, name, $"{where}event {index} ");
            switch (name)
            {
                case "id":
                    Read(ref reader);
                    if (reader.TokenType == JsonTokenType.Null) break;
                    if (reader.TokenType != JsonTokenType.String || !Guid.TryParse(Text(ref reader, $"{where}event {index} \"id\""), out var parsed))
                        throw Invalid($"{where}event {index} has an \"id\" that is not a UUID");
                    id = parsed != Guid.Empty ? parsed : throw Invalid($"{where}event {index} has the nil UUID as its \"id\"; leave \"id\" out to have one generated");
                    break;
                case "type":
                    Read(ref reader);
                    type = reader.TokenType == JsonTokenType.String ? Text(ref reader, $"{where}event {index} \"type\"") : throw Invalid($"{where}event {index} has a \"type\" that is not a string");
                    break;
                case "data":
                    data = RawValue(ref reader, body);
                    break;
                case "dataBase64":
                    Read(ref reader);
                    if (reader.TokenType != JsonTokenType.String || !reader.TryGetBytesFromBase64(out binary))
                        throw Invalid($"{where}event {index} has \"dataBase64\" that is not base64");
                    break;
                case "metadata":
                    Read(ref reader);
                    if (reader.TokenType == JsonTokenType.Null) break;
                    if (reader.TokenType != JsonTokenType.StartObject) throw Invalid($"{where}event {index} has \"metadata\" that is not a JSON object");
                    metadata = RawValueFromCurrent(ref reader, body);
                    break;
                case "vector":
                    vector = ReadVector(ref reader, $"{where}event {index} has a \"vector\" that is not an array of numbers");
                    break;
                case "entities":
                    entities = ReadEntities(ref reader, where, index);
                    break;
                default:
                    throw Invalid($"{where}event {index} has unknown property '{name}'");
            }
        }
        if (string.IsNullOrEmpty(type)) throw Invalid($"{where}event {index} has no \"type\"");
        if (data is not null && binary is not null) throw Invalid($"{where}event {index} has both \"data\" and \"dataBase64\"");
        var payload = binary is not null ? binary : data ?? ReadOnlyMemory<byte>.Empty;
        return new EventData(id, type, payload, metadata, binary is not null ? EventData.BinaryContentType : EventData.JsonContentType)
        {
            Vector = vector,
            Entities = entities,
        };
    }

    /// <summary>The next value as an array of numbers; anything else is <paramref name="problem"/>.</summary>
    internal static float[] ReadVector(ref Utf8JsonReader reader, string problem)
    {
        Expect(ref reader, JsonTokenType.StartArray, problem);
        var values = new List<float>();
        while (Read(ref reader) && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.Number || !reader.TryGetDouble(out var value))
                throw Invalid(problem);
            // JSON has no NaN or Infinity; a number beyond float32's range would become one.
            if (!float.IsFinite((float)value))
                throw Invalid($"{problem}: the number at index {values.Count} ({value.ToString(System.Globalization.CultureInfo.InvariantCulture)}) does not fit a finite float32");
            values.Add((float)value);
        }
        return [.. values];
    }

    private static List<string> ReadEntities(ref Utf8JsonReader reader, string where, int index)
    {
        Read(ref reader);
        var values = new List<string>();
        if (reader.TokenType == JsonTokenType.StartArray)
        {
            while (Read(ref reader) && reader.TokenType != JsonTokenType.EndArray)
            {
                if (reader.TokenType != JsonTokenType.String) break;
                values.Add(Text(ref reader, $"{where}event {index} \"entities\""));
            }
            if (reader.TokenType == JsonTokenType.EndArray) return values;
        }
        throw Invalid($"{where}event {index} has \"entities\" that is not an array of strings");
    }

    /// <summary>The next value's raw JSON bytes, sliced from the body.</summary>
    private static ReadOnlyMemory<byte> RawValue(ref Utf8JsonReader reader, ReadOnlyMemory<byte> body)
    {
        Read(ref reader);
        return RawValueFromCurrent(ref reader, body);
    }

    private static ReadOnlyMemory<byte> RawValueFromCurrent(ref Utf8JsonReader reader, ReadOnlyMemory<byte> body)
    {
        var start = (int)reader.TokenStartIndex;
        if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray) reader.Skip();
        return body[start..(int)reader.BytesConsumed];
    }

    /// <summary>The next property name of the current object, or null at its end.</summary>
    internal static string? ReadProperty(ref Utf8JsonReader reader)
    {
        Read(ref reader);
        return reader.TokenType switch
        {
            JsonTokenType.PropertyName => Text(ref reader, "a property name"),
            JsonTokenType.EndObject => null,
            _ => throw Invalid("malformed JSON object"),
        };
    }

    /// <summary>The current string; bytes that are not UTF-8, or an escaped lone surrogate (<c>\uD800</c>, valid JSON but not text), are refused naming <paramref name="what"/>.</summary>
    internal static string Text(ref Utf8JsonReader reader, string what)
    {
        try
        {
            return reader.GetString()!;
        }
        catch (InvalidOperationException)
        {
            throw Invalid($"{what} is not valid text (bytes that are not UTF-8, or an escaped lone surrogate such as \\uD800)");
        }
    }

    internal static void Expect(ref Utf8JsonReader reader, JsonTokenType type, string problem)
    {
        Read(ref reader);
        if (reader.TokenType != type) throw Invalid(problem);
    }

    internal static bool Read(ref Utf8JsonReader reader)
    {
        try
        {
            return reader.Read() ? true : throw Invalid("the body ends before the JSON is complete");
        }
        catch (JsonException e)
        {
            throw Invalid($"the body is not valid JSON ({e.Message})");
        }
    }

    internal static InvalidRequestException Invalid(string problem) => new($"Invalid request: {problem}.");
}
