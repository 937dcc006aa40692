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
        if (query["direction"].ToString() is { Length: > 0 } direction && direction.ToLowerInvariant() is not ("forward" or "forwards"))
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
        var after = lastEventId.Length > 0 ? ParsePosition(lastEventId, "Last-Event-ID") : StartAfter(context.Request.Query);
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

    /// <summary>
    /// Where a subscription starts: <c>after</c> a position (exclusive, as the SSE id a client saw last), or <c>from</c> one
    /// (inclusive, as <c>GET /all/events</c> reads, so its <c>next</c> carries on a read with no event missed).
    /// </summary>
    private static Position? StartAfter(IQueryCollection query)
    {
        var after = QueryValues.Text(query["after"]);
        var from = QueryValues.Text(query["from"]);
        if (after is not null && from is not null)
            throw new InvalidRequestException("give after (exclusive) or from (inclusive), not both.");
        return from is not null ? ParsePosition(from, "from")!.Value.Predecessor : ParsePosition(after, "after");
    }

    private static Position? ParsePosition(string? text, string name)
    {
        if (text is null) return null;
        if (Position.TryParse(text, out var position)) return position;
        // The right shape with numbers out of range deserves its own message: "must be like" would describe what was sent.
        var match = System.Text.RegularExpressions.Regex.Match(text, @"^(?<revision>[0-9]+)(-(?<index>[0-9]+))?$");
        if (match.Success)
            throw new InvalidRequestException(
                $"{name} is out of range (got '{text}'): the revision must be at most {long.MaxValue} and the index below {Position.IndexLimit}.");
        throw new InvalidRequestException($"{name} must be a position like 00000000000000012345-0007 (got '{text}').");
    }
}
