using System.Globalization;
using System.Text.Json;

namespace Fossil.Kv.Node.Http;

/// <summary>
/// <c>/streams/{stream}</c>, <c>/streams/{stream}/events</c>, <c>/streams/{stream}/subscribe</c> and
/// <c>/append</c>. The stream part of the path is a catch-all, so unescaped <c>/</c> in a name works too.
/// </summary>
internal static class StreamEndpoints
{
    public const int MaxReadLimit = 1000;
    private const int DefaultReadLimit = 100;

    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapPost("/streams/{**path}", AppendAsync);
        app.MapGet("/streams/{**path}", GetAsync);
        app.MapPost("/append", AppendManyAsync);
    }

    private static async Task AppendAsync(HttpContext context, EventStore store)
    {
        if (!StreamRoutes.HasSuffix(context, "/streams/", "/events"))
        {
            await ApiErrors.NotFoundAsync(context);
            return;
        }
        var stream = StreamRoutes.StreamName(context, "/events");
        var body = await RequestBody.ReadAsync(context);
        var (expected, events) = AppendRequestParser.ParseStreamAppend(body);
        var result = await store.AppendToStreamAsync(stream, expected, events, context.RequestAborted);
        await WriteJsonAsync(context, result.IsRepeat ? StatusCodes.Status200OK : StatusCodes.Status201Created,
            writer => EventJson.WriteAppendResult(writer, result));
    }

    private static async Task AppendManyAsync(HttpContext context, EventStore store)
    {
        var body = await RequestBody.ReadAsync(context);
        var streams = AppendRequestParser.ParseMultiAppend(body);
        var results = await store.AppendAsync(streams, context.RequestAborted);
        await WriteJsonAsync(context, results.All(r => r.IsRepeat) ? StatusCodes.Status200OK : StatusCodes.Status201Created, writer =>
        {
            writer.WriteStartObject();
            writer.WriteStartArray("results");
            foreach (var result in results) EventJson.WriteAppendResult(writer, result);
            writer.WriteEndArray();
            writer.WriteEndObject();
        });
    }

    private static Task GetAsync(HttpContext context, EventStore store)
    {
        if (StreamRoutes.HasSuffix(context, "/streams/", "/events")) return ReadAsync(context, store);
        if (StreamRoutes.HasSuffix(context, "/streams/", "/subscribe")) return SubscribeAsync(context, store);
        return InfoAsync(context, store);
    }

    private static async Task InfoAsync(HttpContext context, EventStore store)
    {
        var info = await store.GetStreamAsync(StreamRoutes.StreamName(context, ""), context.RequestAborted);
        await WriteJsonAsync(context, StatusCodes.Status200OK, writer =>
        {
            writer.WriteStartObject();
            writer.WriteString("stream", info.Stream);
            writer.WriteNumber("version", info.Version);
            writer.WriteStartArray("segments");
            foreach (var segment in info.Segments) writer.WriteStringValue(segment.Segment);
            writer.WriteEndArray();
            writer.WriteEndObject();
        });
    }

    private static async Task ReadAsync(HttpContext context, EventStore store)
    {
        var stream = StreamRoutes.StreamName(context, "/events");
        var query = context.Request.Query;
        // Case-insensitive, as ?status= on /segments is.
        var direction = query["direction"].ToString().ToLowerInvariant() switch
        {
            "" or "forward" or "forwards" => Direction.Forwards,
            "backward" or "backwards" => Direction.Backwards,
            var other => throw new InvalidRequestException($"direction must be forward or backward (got '{other}')."),
        };
        var limit = QueryValues.Limit(query["limit"], DefaultReadLimit, MaxReadLimit);
        var from = query["from"].ToString() is { Length: > 0 } text
            ? long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var version) ? version : throw new InvalidRequestException($"from must be a version number (got '{text}').")
            : direction == Direction.Forwards ? 0 : -1;
        var withVectors = QueryValues.WithVectors(query);

        var events = new List<RecordedEvent>(Math.Min(limit + 1, 1024));
        await foreach (var e in store.ReadStreamAsync(stream, direction, from, limit + 1, context.RequestAborted)) events.Add(e);
        long? next = events.Count > limit ? events[limit].Version : null;
        if (events.Count > limit) events.RemoveAt(limit);
        await WriteJsonAsync(context, StatusCodes.Status200OK, writer =>
        {
            writer.WriteStartObject();
            writer.WriteStartArray("events");
            foreach (var e in events) EventJson.WriteEvent(writer, e, withVectors);
            writer.WriteEndArray();
            if (next is { } n) writer.WriteNumber("next", n);
            else writer.WriteNull("next");
            writer.WriteEndObject();
        });
    }

    private static async Task SubscribeAsync(HttpContext context, EventStore store)
    {
        var stream = StreamRoutes.StreamName(context, "/subscribe");
        // The subscription checks the name only when first enumerated, after the 200 and its headers are sent.
        Keyspace.StreamName.EnsureValid(stream);
        var lastEventId = context.Request.Headers["Last-Event-ID"].ToString();
        long? afterVersion;
        if (lastEventId.Length > 0)
        {
            afterVersion = ParseVersion(lastEventId, "Last-Event-ID", -1);
        }
        else
        {
            // after is exclusive (the SSE id seen last); from is inclusive, as GET .../events reads, so its next carries on.
            var after = context.Request.Query["after"].ToString();
            var from = context.Request.Query["from"].ToString();
            if (after.Length > 0 && from.Length > 0) throw new InvalidRequestException("give after (exclusive) or from (inclusive), not both.");
            afterVersion = from.Length > 0 ? ParseVersion(from, "from", 0) - 1 : after.Length > 0 ? ParseVersion(after, "after", -1) : null;
        }
        var withVectors = QueryValues.WithVectors(context.Request.Query);
        await ServerSentEvents.StreamAsync(context, store.SubscribeToStreamAsync(stream, afterVersion, context.RequestAborted),
            e => e.Version.ToString(CultureInfo.InvariantCulture), withVectors);
    }

    private static long ParseVersion(string text, string name, long least) =>
        long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var version) && version >= least && version <= StreamState.MaxVersion
            ? version
            : throw new InvalidRequestException($"{name} must be a stream version, {least} to {StreamState.MaxVersion} (got '{text}').");

    internal static async Task WriteJsonAsync(HttpContext context, int status, Action<Utf8JsonWriter> write)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await using var writer = new Utf8JsonWriter(context.Response.BodyWriter, EventJson.WriterOptions);
        write(writer);
        await writer.FlushAsync(context.RequestAborted);
    }
}
