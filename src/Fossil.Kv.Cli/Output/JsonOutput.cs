using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Fossil.Kv.Configuration;
using Fossil.Kv.Segments;

namespace Fossil.Kv.Cli.Output;

/// <summary>
/// <c>--json</c> output. Where the HTTP API shows the same data, the CLI uses its field names (events and
/// append results in camelCase, segments in the seed's snake_case, settings by their setting names);
/// documents only the CLI shows (status, etcd) use snake_case, like <c>/meta</c> and the segment catalog.
/// </summary>
internal static class JsonOutput
{
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static void Write(TextWriter output, Action<Utf8JsonWriter> write)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions)) write(writer);
        output.WriteLine(Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length));
    }

    /// <summary>The HTTP API's <c>/meta/config</c> shape: numbers as numbers, the rest as strings.</summary>
    public static void WriteSettingValue(Utf8JsonWriter writer, string name, string value)
    {
        if (long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var number)) writer.WriteNumber(name, number);
        else writer.WriteString(name, value);
    }

    public static void WriteSettings(Utf8JsonWriter writer, StoreSettings settings)
    {
        writer.WriteStartObject();
        foreach (var (name, value) in settings.ToPairs()) WriteSettingValue(writer, name, value);
        writer.WriteEndObject();
    }

    /// <summary>
    /// The HTTP API's <c>/segments</c> item (SPEC §4), plus <c>generation</c>; <c>materialized</c> (whether this
    /// machine has the files under <c>--dir</c>) only where it is given.
    /// </summary>
    public static void WriteSegment(Utf8JsonWriter writer, SegmentRecord segment, bool? materialized = null) => segment.WriteJson(writer, materialized);

    public static string StatusName(SegmentStatus status) => SegmentRecord.StatusName(status);

    /// <summary>The HTTP API's event shape (SPEC §4).</summary>
    public static void WriteEvent(Utf8JsonWriter writer, RecordedEvent e)
    {
        writer.WriteStartObject();
        writer.WriteString("id", e.Id);
        writer.WriteString("stream", e.Stream);
        writer.WriteNumber("version", e.Version);
        writer.WriteString("type", e.Type);
        if (e.IsJson && e.Data.IsEmpty) writer.WriteNull("data");
        else if (e.IsJson && IsJson(e.Data.Span))
        {
            writer.WritePropertyName("data");
            writer.WriteRawValue(e.Data.Span, skipInputValidation: true);
        }
        else writer.WriteBase64String("dataBase64", e.Data.Span);
        if (!e.Metadata.IsEmpty && IsJson(e.Metadata.Span))
        {
            writer.WritePropertyName("metadata");
            writer.WriteRawValue(e.Metadata.Span, skipInputValidation: true);
        }
        else writer.WriteNull("metadata");
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
        writer.WriteEndObject();
    }

    /// <summary>The HTTP API's append result, plus <c>repeat</c> (HTTP tells it by status 200 instead of 201).</summary>
    public static void WriteAppendResult(Utf8JsonWriter writer, AppendResult result)
    {
        writer.WriteStartObject();
        writer.WriteString("stream", result.Stream);
        writer.WriteNumber("firstVersion", result.FirstVersion);
        writer.WriteNumber("lastVersion", result.LastVersion);
        writer.WriteString("position", result.Position.ToString());
        writer.WriteString("segment", result.Segment);
        writer.WriteBoolean("repeat", result.IsRepeat);
        writer.WriteEndObject();
    }

    /// <summary>Whether bytes are one well-formed JSON value (stored data is, unless written as binary).</summary>
    public static bool IsJson(ReadOnlySpan<byte> utf8)
    {
        try
        {
            var reader = new Utf8JsonReader(utf8);
            reader.Read();
            reader.Skip();
            return !reader.Read();
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            return false;
        }
    }
}
