using System.Text.Json;

namespace Fossil.Kv.Node.Http;

/// <summary>Writes events and append results in the contract's JSON shapes, straight to a <see cref="Utf8JsonWriter"/>.</summary>
internal static class EventJson
{
    /// <summary>Escape only what JSON requires, so names and messages read as written (no \u0027 for quotes).</summary>
    public static JsonWriterOptions WriterOptions { get; } = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static void WriteEvent(Utf8JsonWriter writer, RecordedEvent e, bool withVector)
    {
        writer.WriteStartObject();
        writer.WriteString("id", e.Id);
        writer.WriteString("stream", e.Stream);
        writer.WriteNumber("version", e.Version);
        writer.WriteString("type", e.Type);
        if (!e.IsJson) writer.WriteBase64String("dataBase64", e.Data.Span);
        else if (e.Data.IsEmpty) writer.WriteNull("data");
        else
        {
            writer.WritePropertyName("data");
            writer.WriteRawValue(e.Data.Span, skipInputValidation: true);
        }
        if (e.Metadata.IsEmpty) writer.WriteNull("metadata");
        else
        {
            writer.WritePropertyName("metadata");
            writer.WriteRawValue(e.Metadata.Span, skipInputValidation: true);
        }
        writer.WriteString("timestamp", e.Timestamp.UtcDateTime);
        writer.WriteString("position", e.Position.ToString());
        writer.WriteString("segment", e.Segment);
        writer.WriteNumber("segmentPosition", e.SegmentPosition);
        if (e.Entities.Count > 0)
        {
            writer.WriteStartArray("entities");
            foreach (var entity in e.Entities) writer.WriteStringValue(entity);
            writer.WriteEndArray();
        }
        if (withVector && e.Vector is { } vector)
        {
            writer.WriteStartArray("vector");
            foreach (var value in vector) writer.WriteNumberValue(value);
            writer.WriteEndArray();
        }
        writer.WriteEndObject();
    }

    public static void WriteAppendResult(Utf8JsonWriter writer, AppendResult result)
    {
        writer.WriteStartObject();
        writer.WriteString("stream", result.Stream);
        writer.WriteNumber("firstVersion", result.FirstVersion);
        writer.WriteNumber("lastVersion", result.LastVersion);
        writer.WriteString("position", result.Position.ToString());
        writer.WriteString("segment", result.Segment);
        writer.WriteEndObject();
    }
}
