namespace Fossil.Kv.Node.Http;

/// <summary>
/// <c>/entities/{entity}/events</c> and <c>/entities/{entity}/related</c> over the retained segments. The entity
/// part is a catch-all cut from the raw path, as stream names are, so <c>/</c> in a name works (sent as <c>%2F</c>).
/// </summary>
internal static class EntityEndpoints
{
    private const int DefaultLimit = 100;

    public static void Map(IEndpointRouteBuilder app) => app.MapGet("/entities/{**path}", GetAsync);

    private static Task GetAsync(HttpContext context, EventStore store)
    {
        if (StreamRoutes.HasSuffix(context, "/entities/", "/events")) return EventsAsync(context, store);
        if (StreamRoutes.HasSuffix(context, "/entities/", "/related")) return RelatedAsync(context, store);
        return ApiErrors.NotFoundAsync(context);
    }

    private static async Task EventsAsync(HttpContext context, EventStore store)
    {
        var entity = StreamRoutes.NameInPath(context, "/entities/", "/events", "entity");
        var limit = QueryValues.Limit(context.Request.Query["limit"], DefaultLimit, StreamEndpoints.MaxReadLimit);
        var withVectors = QueryValues.WithVectors(context.Request.Query);
        var events = await store.ReadEntityEventsAsync(entity, limit, context.RequestAborted);
        await StreamEndpoints.WriteJsonAsync(context, StatusCodes.Status200OK, writer =>
        {
            writer.WriteStartObject();
            writer.WriteString("entity", entity);
            writer.WriteStartArray("events");
            foreach (var e in events) EventJson.WriteEvent(writer, e, withVectors);
            writer.WriteEndArray();
            writer.WriteEndObject();
        });
    }

    private static async Task RelatedAsync(HttpContext context, EventStore store)
    {
        var entity = StreamRoutes.NameInPath(context, "/entities/", "/related", "entity");
        var limit = QueryValues.Limit(context.Request.Query["limit"], DefaultLimit, StreamEndpoints.MaxReadLimit);
        var related = await store.GetRelatedEntitiesAsync(entity, limit, context.RequestAborted);
        await StreamEndpoints.WriteJsonAsync(context, StatusCodes.Status200OK, writer => RelatedEntity.WriteJson(writer, entity, related));
    }
}
