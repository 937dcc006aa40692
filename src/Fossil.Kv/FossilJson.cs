using System.Text.Json;
using System.Text.Json.Serialization;

namespace Fossil.Kv;

/// <summary>JSON conventions of everything the store writes under <c>/meta</c> and in <c>meta.json</c>.</summary>
internal static class FossilJson
{
    public static JsonSerializerOptions Indented { get; } = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    public static JsonSerializerOptions Compact { get; } = new(Indented) { WriteIndented = false };
}
