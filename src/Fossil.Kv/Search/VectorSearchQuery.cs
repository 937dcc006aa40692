using Fossil.Kv.Appends;
using System.Text.Json;
using Fossil.Kv.Configuration;
using Fossil.Kv.Vectors;

namespace Fossil.Kv;

/// <summary>
/// A nearest-neighbour query over the events of every retained segment (SPEC §4 <c>POST /search</c>).
/// <see cref="From"/> and <see cref="To"/> bound event timestamps, both inclusive; segments whose window
/// lies outside them are not searched at all.
/// </summary>
/// <param name="Vector">The query embedding: <c>vector.dimension</c> finite components.</param>
/// <param name="K">How many results, 1 to <see cref="MaxK"/>.</param>
public sealed record VectorSearchQuery(float[] Vector, int K = 10)
{
    /// <summary>The most results one query may ask for.</summary>
    public const int MaxK = 1000;

    /// <summary>Largest candidate list a query may ask for (the limit of <c>hnsw.ef_search</c>).</summary>
    public const int MaxEf = 10_000;

    /// <summary>Only events at or after this time.</summary>
    public DateTimeOffset? From { get; init; }

    /// <summary>Only events at or before this time.</summary>
    public DateTimeOffset? To { get; init; }

    /// <summary>Only events of streams whose name starts with this.</summary>
    public string? StreamPrefix { get; init; }

    /// <summary>Only events that mention this entity.</summary>
    public string? Entity { get; init; }

    /// <summary>HNSW candidate list size for this query; <c>hnsw.ef_search</c> when null.</summary>
    public int? Ef { get; init; }

    /// <summary>Throws <see cref="InvalidRequestException"/> naming the first problem.</summary>
    internal void Validate(StoreSettings settings)
    {
        if (Vector is null || Vector.Length == 0) throw new InvalidRequestException("The search has no vector.");
        if (K is < 1 or > MaxK) throw new InvalidRequestException($"k must be from 1 to {MaxK} (got {K}).");
        if (Ef is < 1 or > MaxEf) throw new InvalidRequestException($"ef must be from 1 to {MaxEf} (got {Ef}).");
        if (From is { } from && To is { } to && to < from)
            throw new InvalidRequestException($"to ({to:O}) is before from ({from:O}).");
        if (Entity is not null) EntityNames.EnsureValid(Entity);
        EventFilter.EnsureValidPrefix(StreamPrefix, "streamPrefix");
        if (settings.VectorDimension != 0 && Vector.Length != settings.VectorDimension)
            throw new InvalidRequestException($"The query vector has {Vector.Length} dimensions; this store's vector.dimension is {settings.VectorDimension}.");
        if (VectorValidation.Problem(Vector, settings.Metric) is { } problem)
            throw new InvalidRequestException($"The query has {problem}.");
    }
}

/// <summary>One search hit: the event and its distance to the query under the store's metric (smaller is nearer).</summary>
/// <param name="Distance">The distance from the query's vector to the event's under <c>vector.metric</c>; smaller is nearer.</param>
/// <param name="Event">The event found.</param>
public sealed record VectorSearchResult(float Distance, RecordedEvent Event)
{
    /// <summary>
    /// The shape <c>POST /search</c> and <c>fossil search --json</c> answer with, <c>{"results": [{"distance", "event"}]}</c>,
    /// each event written by <paramref name="writeEvent"/> (the caller's event shape).
    /// </summary>
    public static void WriteJson(Utf8JsonWriter writer, IReadOnlyList<VectorSearchResult> results, Action<Utf8JsonWriter, RecordedEvent> writeEvent)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(results);
        ArgumentNullException.ThrowIfNull(writeEvent);
        writer.WriteStartObject();
        writer.WriteStartArray("results");
        foreach (var result in results)
        {
            writer.WriteStartObject();
            writer.WriteNumber("distance", result.Distance);
            writer.WritePropertyName("event");
            writeEvent(writer, result.Event);
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
        writer.WriteEndObject();
    }
}

/// <summary>An entity that co-occurs with another, and in how many retained events the two appear together.</summary>
/// <param name="Entity">The co-occurring entity.</param>
/// <param name="Weight">How many retained events mention both.</param>
public sealed record RelatedEntity(string Entity, long Weight)
{
    /// <summary>The shape <c>GET /entities/{entity}/related</c> and <c>fossil entities related --json</c> answer with.</summary>
    public static void WriteJson(Utf8JsonWriter writer, string entity, IReadOnlyList<RelatedEntity> related)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(related);
        writer.WriteStartObject();
        writer.WriteString("entity", entity);
        writer.WriteStartArray("related");
        foreach (var r in related)
        {
            writer.WriteStartObject();
            writer.WriteString("entity", r.Entity);
            writer.WriteNumber("weight", r.Weight);
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
        writer.WriteEndObject();
    }
}

/// <summary>Entity names: the rule events' entities follow, also checked on the names queries give.</summary>
internal static class EntityNames
{
    public const int MaxLimit = 1000;

    public static string Rule => $"entities are 1–{AppendLimits.MaxEntityBytes} bytes of UTF-8, not blank, without control characters or lone surrogates";

    public static bool IsValid(string? entity) =>
        !string.IsNullOrWhiteSpace(entity) && PreparedAppend.IsText(entity) && System.Text.Encoding.UTF8.GetByteCount(entity) <= AppendLimits.MaxEntityBytes;

    public static void EnsureValid(string? entity)
    {
        if (!IsValid(entity)) throw new InvalidRequestException($"The entity name is invalid: {Rule}.");
    }

    public static void EnsureLimit(int limit)
    {
        if (limit is < 1 or > MaxLimit) throw new InvalidRequestException($"limit must be from 1 to {MaxLimit} (got {limit}).");
    }
}
