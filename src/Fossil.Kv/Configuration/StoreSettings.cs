using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Fossil.Kv.Configuration;

/// <summary>
/// Store-wide settings, kept in <c>/meta/config</c> as a flat JSON object whose keys are the seed's
/// setting names (<c>segment.duration</c>, ...). A node seeds them from its configuration when absent
/// and otherwise follows <c>/meta</c>. Changes to the segment settings take effect at the next window.
/// </summary>
public sealed record StoreSettings
{
    /// <summary>The most <c>segment.partitions</c> may be.</summary>
    public const int MaxPartitions = 60;

    /// <summary><c>segment.duration</c>: length of a time window, a whole number of seconds (default 1 day).</summary>
    public TimeSpan SegmentDuration { get; init; } = TimeSpan.FromDays(1);

    /// <summary><c>segment.partitions</c>: active segments per window, streams spread over them by hash; 1 to <see cref="MaxPartitions"/> (default 2).</summary>
    public int SegmentPartitions { get; init; } = 2;

    /// <summary><c>segment.retention</c>: how long after its window ends a sealed segment is kept before eviction: any positive duration, 500ms included (default 30 days).</summary>
    public TimeSpan SegmentRetention { get; init; } = TimeSpan.FromDays(30);

    /// <summary><c>segment.max_size</c>: bytes at which an active segment is rotated early, at least 1 MiB (default 10 GiB).</summary>
    public long SegmentMaxSize { get; init; } = 10L << 30;

    /// <summary>Dimension of every event vector; 0 until the first vector (or an operator) fixes it.</summary>
    public int VectorDimension { get; init; }

    /// <summary><c>cosine</c>, <c>l2</c> or <c>ip</c>.</summary>
    public string VectorMetric { get; init; } = "cosine";

    /// <summary><c>hnsw.m</c>: links per node of the vector graph, 2 to 128 (default 16); more links, better recall, bigger files.</summary>
    public int HnswM { get; init; } = 16;

    /// <summary><c>hnsw.ef_construction</c>: candidate list size while building the graph, 1 to 10 000 (default 200); higher builds better, slower.</summary>
    public int HnswEfConstruction { get; init; } = 200;

    /// <summary><c>hnsw.ef_search</c>: default candidate list size of a search, 1 to 10 000 (default 100); higher finds more, slower.</summary>
    public int HnswEfSearch { get; init; } = 100;

    /// <summary><see cref="VectorMetric"/> as the vector index takes it.</summary>
    internal Vectors.VectorMetric Metric => VectorMetric switch { "l2" => Vectors.VectorMetric.L2, "ip" => Vectors.VectorMetric.InnerProduct, _ => Vectors.VectorMetric.Cosine };

    /// <summary>The <c>hnsw.*</c> settings as the vector index takes them.</summary>
    internal Vectors.HnswParameters Hnsw => new(HnswM, HnswEfConstruction, HnswEfSearch);

    /// <summary>The setting names, in display order.</summary>
    public static IReadOnlyList<string> Names { get; } =
    [
        "segment.duration", "segment.partitions", "segment.retention", "segment.max_size",
        "vector.dimension", "vector.metric", "hnsw.m", "hnsw.ef_construction", "hnsw.ef_search",
    ];

    /// <summary>Every setting by name, in <see cref="Names"/> order, with its value as <see cref="With"/> accepts it (e.g. <c>1d</c>, <c>10GB</c>).</summary>
    public IReadOnlyList<KeyValuePair<string, string>> ToPairs() =>
    [
        new("segment.duration", SettingValues.FormatDuration(SegmentDuration)),
        new("segment.partitions", Invariant(SegmentPartitions)),
        new("segment.retention", SettingValues.FormatDuration(SegmentRetention)),
        new("segment.max_size", SettingValues.FormatSize(SegmentMaxSize)),
        new("vector.dimension", Invariant(VectorDimension)),
        new("vector.metric", VectorMetric),
        new("hnsw.m", Invariant(HnswM)),
        new("hnsw.ef_construction", Invariant(HnswEfConstruction)),
        new("hnsw.ef_search", Invariant(HnswEfSearch)),
    ];

    /// <summary>One setting's value, formatted as in <see cref="ToPairs"/>.</summary>
    /// <exception cref="InvalidSettingException"><paramref name="name"/> is not one of <see cref="Names"/>.</exception>
    public string Get(string name) =>
        ToPairs().FirstOrDefault(p => p.Key == name).Value ?? throw UnknownSetting(name);

    /// <summary>A copy with one setting changed; throws <see cref="InvalidSettingException"/> naming the problem.</summary>
    public StoreSettings With(string name, string value) => name switch
    {
        "segment.duration" => this with { SegmentDuration = ParseWindow(value) },
        "segment.partitions" => this with { SegmentPartitions = ParseInt(name, value, 1, MaxPartitions) },
        // Any positive duration, 500ms included (SPEC §3's forms): retention only decides when a sealed segment may go.
        "segment.retention" => this with { SegmentRetention = ParseDuration(name, value, TimeSpan.FromMilliseconds(1)) },
        "segment.max_size" => this with { SegmentMaxSize = ParseSize(name, value, 1L << 20) },
        "vector.dimension" => this with { VectorDimension = ParseInt(name, value, 0, 65_536) },
        "vector.metric" => this with { VectorMetric = ParseMetric(value) },
        "hnsw.m" => this with { HnswM = ParseInt(name, value, 2, 128) },
        "hnsw.ef_construction" => this with { HnswEfConstruction = ParseInt(name, value, 1, 10_000) },
        "hnsw.ef_search" => this with { HnswEfSearch = ParseInt(name, value, 1, 10_000) },
        _ => throw UnknownSetting(name),
    };

    /// <summary>Applies every setting in a JSON object (values as strings or numbers); all or nothing.</summary>
    public StoreSettings WithJson(JsonObject changes)
    {
        ArgumentNullException.ThrowIfNull(changes);
        var result = this;
        try
        {
            foreach (var (name, node) in changes)
            {
                var value = node switch
                {
                    JsonValue v when v.TryGetValue<string>(out var s) => s,
                    JsonValue v when v.TryGetValue<JsonElement>(out var e) && e.ValueKind == JsonValueKind.Number => e.GetRawText(),
                    _ => throw new InvalidSettingException(name, $"'{name}' must be a string or a number"),
                };
                result = result.With(name, value);
            }
        }
        catch (InvalidOperationException)
        {
            // JSON text is decoded only when read: invalid UTF-8 or an escaped lone surrogate (\uD800) surfaces here.
            throw new InvalidSettingException("", "the settings hold a name or value that is not valid text (bytes that are not UTF-8, or an escaped lone surrogate such as \\uD800)");
        }
        return result;
    }

    /// <summary>The settings as <c>/meta/config</c> stores them: an indented JSON object, numbers as numbers and the rest as strings.</summary>
    public byte[] ToJsonBytes()
    {
        var json = new JsonObject();
        foreach (var (name, value) in ToPairs())
            json[name] = long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var number) ? JsonValue.Create(number) : JsonValue.Create(value);
        return JsonSerializer.SerializeToUtf8Bytes(json, FossilJson.Indented);
    }

    /// <summary>Reads <c>/meta/config</c>; settings missing from it keep their defaults, unknown ones are ignored.</summary>
    public static StoreSettings FromJsonBytes(ReadOnlySpan<byte> json)
    {
        if (JsonNode.Parse(json) is not JsonObject obj) throw new InvalidSettingException("/meta/config", "/meta/config is not a JSON object");
        var known = new JsonObject();
        foreach (var (name, node) in obj)
            if (Names.Contains(name)) known[name] = node?.DeepClone();
        return new StoreSettings().WithJson(known);
    }

    private static TimeSpan ParseWindow(string value)
    {
        var duration = ParseDuration("segment.duration", value, TimeSpan.FromSeconds(1));
        // Segment ids name their window's start to the second (20261206T000000Z), so windows are whole seconds.
        if (duration.Ticks % TimeSpan.TicksPerSecond != 0)
            throw new InvalidSettingException("segment.duration", $"segment.duration must be a whole number of seconds, such as 1s, 90s, 10m or 1d, because segment ids name their window's start to the second (got '{value}')");
        return duration;
    }

    private static TimeSpan ParseDuration(string name, string value, TimeSpan minimum)
    {
        if (!SettingValues.TryParseDuration(value, out var duration))
            throw new InvalidSettingException(name, $"{name} must be a duration like {(minimum >= TimeSpan.FromSeconds(1) ? "" : "500ms, ")}5s, 10m, 1h or 1d (got '{value}')");
        if (duration < minimum)
            throw new InvalidSettingException(name, $"{name} must be at least {SettingValues.FormatDuration(minimum)} (got '{value}')");
        return duration;
    }

    private static long ParseSize(string name, string value, long minimum)
    {
        if (!SettingValues.TryParseSize(value, out var size))
            throw new InvalidSettingException(name, $"{name} must be a size like 64MB or 10GB (got '{value}')");
        if (size < minimum)
            throw new InvalidSettingException(name, $"{name} must be at least {SettingValues.FormatSize(minimum)} (got '{value}')");
        return size;
    }

    private static int ParseInt(string name, string value, int minimum, int maximum)
    {
        if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number < minimum || number > maximum)
            throw new InvalidSettingException(name, $"{name} must be a whole number from {minimum} to {maximum} (got '{value}')");
        return number;
    }

    private static string ParseMetric(string value) => value switch
    {
        "cosine" or "l2" or "ip" => value,
        _ => throw new InvalidSettingException("vector.metric", $"vector.metric must be cosine, l2 or ip (got '{value}')"),
    };

    /// <summary>Settings each node reads from its own configuration (SPEC §3), by their configuration keys; <c>/meta/config</c> never holds them.</summary>
    public static IReadOnlyDictionary<string, string> NodeLocal { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["segment.directory"] = "Fossil:Segment:Directory",
        ["segment.mmap_populate"] = "Fossil:Segment:MmapPopulate",
        ["segment.archive"] = "Fossil:Segment:Archive",
    };

    /// <summary>Checks that <paramref name="name"/> is a store-wide setting, before anything is read or written.</summary>
    /// <exception cref="InvalidSettingException">It is not one of <see cref="Names"/>; a node-local setting is named as such.</exception>
    public static void EnsureStoreWide(string name)
    {
        if (!Names.Contains(name, StringComparer.Ordinal)) throw UnknownSetting(name);
    }

    private static InvalidSettingException UnknownSetting(string name) =>
        NodeLocal.TryGetValue(name, out var key)
            ? new(name, $"{name} is a node-local setting, not a store-wide one in /meta/config: set it in each node's configuration ({key}, or --{key} on its command line)")
            : new(name, $"unknown setting '{name}' (known: {string.Join(", ", Names)})");

    private static string Invariant(int value) => value.ToString(CultureInfo.InvariantCulture);
}

/// <summary>A setting's name or value is not allowed; nothing was changed. Error code <c>invalid_request</c>.</summary>
/// <param name="setting">The setting at fault, e.g. <c>segment.duration</c>.</param>
/// <param name="message">What is wrong, naming the setting and the value given.</param>
public sealed class InvalidSettingException(string setting, string message) : InvalidRequestException(message)
{
    /// <summary>The setting at fault, e.g. <c>segment.duration</c>; empty when no one setting is.</summary>
    public string Setting { get; } = setting;
}

/// <summary>A change of the store-wide settings: what they were, what they are, and the etcd revision of the change.</summary>
public sealed record SettingsUpdate(StoreSettings Before, StoreSettings After, long Revision)
{
    /// <summary>Deconstructs into the settings before and after the change, for <c>var (before, after) = update;</c>.</summary>
    public void Deconstruct(out StoreSettings before, out StoreSettings after)
    {
        before = Before;
        after = After;
    }
}
