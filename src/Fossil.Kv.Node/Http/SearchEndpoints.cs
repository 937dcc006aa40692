using System.Text.Json;
using static Fossil.Kv.Node.Http.AppendRequestParser;

namespace Fossil.Kv.Node.Http;

/// <summary><c>POST /search</c>: nearest events to a vector over the retained segments (<c>?vectors=true</c> adds each event's vector).</summary>
internal static class SearchEndpoints
{
    public static void Map(IEndpointRouteBuilder app) => app.MapPost("/search", SearchAsync);

    private static async Task SearchAsync(HttpContext context, EventStore store)
    {
        var body = await RequestBody.ReadAsync(context);
        var query = Parse(body.Span);
        var withVectors = QueryValues.WithVectors(context.Request.Query);
        var results = await store.SearchAsync(query, context.RequestAborted);
        await StreamEndpoints.WriteJsonAsync(context, StatusCodes.Status200OK,
            writer => VectorSearchResult.WriteJson(writer, results, (w, e) => EventJson.WriteEvent(w, e, withVectors)));
    }

    /// <summary><c>{"vector", "k"?, "from"?, "to"?, "streamPrefix"?, "entity"?, "ef"?}</c>, read forward-only; the store checks the values.</summary>
    internal static VectorSearchQuery Parse(ReadOnlySpan<byte> body)
    {
        var reader = Start(body);
        float[]? vector = null;
        int k = 10;
        int? ef = null;
        DateTimeOffset? from = null, to = null;
        string? streamPrefix = null, entity = null;
        var seen = 0;
        while (ReadProperty(ref reader) is { } name)
        {
            Once(ref seen, name switch
            {
                "vector" => 1, "k" => 2, "ef" => 4, "from" => 8, "to" => 16, "streamPrefix" => 32, "entity" => 64, _ => 0,
            }, name, "");
            if (name == "vector")
            {
                vector = ReadVector(ref reader, "\"vector\" must be an array of numbers");
                continue;
            }
            Read(ref reader);
            if (reader.TokenType == JsonTokenType.Null) continue;
            switch (name)
            {
                case "k":
                    k = reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var count) ? count : throw Invalid("\"k\" must be a whole number");
                    break;
                case "ef":
                    ef = reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var size) ? size : throw Invalid("\"ef\" must be a whole number");
                    break;
                case "from":
                    from = ReadTime(ref reader, name);
                    break;
                case "to":
                    to = ReadTime(ref reader, name);
                    break;
                case "streamPrefix":
                    streamPrefix = reader.TokenType == JsonTokenType.String ? AppendRequestParser.Text(ref reader, "\"streamPrefix\"") : throw Invalid("\"streamPrefix\" must be a string");
                    break;
                case "entity":
                    entity = reader.TokenType == JsonTokenType.String ? AppendRequestParser.Text(ref reader, "\"entity\"") : throw Invalid("\"entity\" must be a string");
                    break;
                default:
                    throw Invalid($"unknown property '{name}' (expected \"vector\", \"k\", \"from\", \"to\", \"streamPrefix\", \"entity\" or \"ef\")");
            }
        }
        End(ref reader);
        if (vector is null) throw Invalid("the search has no \"vector\"");
        return new VectorSearchQuery(vector, k) { From = from, To = to, StreamPrefix = streamPrefix, Entity = entity, Ef = ef };
    }

    private static DateTimeOffset ReadTime(ref Utf8JsonReader reader, string name) =>
        reader.TokenType == JsonTokenType.String && reader.TryGetDateTimeOffset(out var time)
            ? time
            : throw Invalid($"\"{name}\" must be an ISO 8601 time like 2026-11-22T08:00:00Z");
}
