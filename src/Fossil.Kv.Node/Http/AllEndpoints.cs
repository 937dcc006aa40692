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
        var withVectors = QueryValues.WithVectors(query);

        // "next" moves past everything the read covered, even when the filter matched none of it.
        var page = await store.ReadAllPageAsync(from, limit, filter, context.RequestAborted);
        await StreamEndpoints.WriteJsonAsync(context, StatusCodes.Status200OK, writer =>
        {
            writer.WriteStartObject();
            writer.WriteStartArray("events");
            foreach (var e in page.Events) EventJson.WriteEvent(writer, e, withVectors);
            writer.WriteEndArray();
            writer.WriteString("next", page.Next.ToString());
            writer.WriteEndObject();
        });
    }

    private static async Task SubscribeAsync(HttpContext context, EventStore store)
    {
        var lastEventId = context.Request.Headers["Last-Event-ID"].ToString();
        var after = lastEventId.Length > 0 ? ParsePosition(lastEventId, "Last-Event-ID") : ParsePosition(QueryValues.Text(context.Request.Query["after"]), "after");
        var withVectors = QueryValues.WithVectors(context.Request.Query);
        await ServerSentEvents.StreamAsync(context, store.SubscribeToAllAsync(after, Filter(context), context.RequestAborted),
            e => e.Position.ToString(), withVectors);
    }

    private static EventFilter Filter(HttpContext context)
    {
        // Checked here, before an SSE response starts: an error after its headers could not be told.
        var filter = new EventFilter(QueryValues.Text(context.Request.Query["streamPrefix"]), QueryValues.Text(context.Request.Query["type"]));
        filter.EnsureValid();
        return filter;
    }

    private static Position? ParsePosition(string? text, string name) =>
        text is null ? null
        : Position.TryParse(text, out var position) ? position
        : throw new InvalidRequestException($"{name} must be a position like 00000000000000012345-0007 (got '{text}').");
}
