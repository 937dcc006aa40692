namespace Fossil.Kv.Node.Http;

/// <summary><c>/all/events</c> and <c>/all/subscribe</c>: the global log in position order.</summary>
internal static class AllEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/all/events", ReadAsync);
        app.MapGet("/all/subscribe", SubscribeAsync);
    }

    private static async Task ReadAsync(HttpContext context, EventStore store)
    {
        var query = context.Request.Query;
        // The global log reads forward only; answering a backward read with a forward page would mislead.
        if (query["direction"].ToString() is { Length: > 0 } direction && direction is not ("forward" or "forwards"))
            throw new InvalidRequestException($"direction must be forward: the global log is read forward from a position (got '{direction}').");
        var from = ParsePosition(QueryValues.Text(query["from"]), "from") ?? Position.Start;
        var limit = QueryValues.Limit(query["limit"], 100, StreamEndpoints.MaxReadLimit);
        var filter = Filter(context);
        var withVectors = QueryValues.Flag(query["vectors"]);

        var events = new List<RecordedEvent>(limit);
        await foreach (var e in store.ReadAllAsync(from, limit, filter, context.RequestAborted)) events.Add(e);
        // "next" is where to continue: just after the last event returned, or where this read began if it found none.
        var next = events.Count > 0 ? events[^1].Position.Successor : from;
        await StreamEndpoints.WriteJsonAsync(context, StatusCodes.Status200OK, writer =>
        {
            writer.WriteStartObject();
            writer.WriteStartArray("events");
            foreach (var e in events) EventJson.WriteEvent(writer, e, withVectors);
            writer.WriteEndArray();
            writer.WriteString("next", next.ToString());
            writer.WriteEndObject();
        });
    }

    private static async Task SubscribeAsync(HttpContext context, EventStore store)
    {
        var lastEventId = context.Request.Headers["Last-Event-ID"].ToString();
        var after = ParsePosition(lastEventId.Length > 0 ? lastEventId : QueryValues.Text(context.Request.Query["after"]), "after");
        var withVectors = QueryValues.Flag(context.Request.Query["vectors"]);
        await ServerSentEvents.StreamAsync(context, store.SubscribeToAllAsync(after, Filter(context), context.RequestAborted),
            e => e.Position.ToString(), withVectors);
    }

    private static EventFilter Filter(HttpContext context) =>
        new(QueryValues.Text(context.Request.Query["streamPrefix"]), QueryValues.Text(context.Request.Query["type"]));

    private static Position? ParsePosition(string? text, string name) =>
        text is null ? null
        : Position.TryParse(text, out var position) ? position
        : throw new InvalidRequestException($"{name} must be a position like 00000000000000012345-0007 (got '{text}').");
}
