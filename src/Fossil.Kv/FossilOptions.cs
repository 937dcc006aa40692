using Fossil.Kv.Configuration;
using Fossil.Kv.Etcd;

namespace Fossil.Kv;

/// <summary>
/// Settings of a store instance (configuration section <c>Fossil</c>). Store-wide settings under
/// <see cref="Segment"/> only seed <c>/meta/config</c> when it is absent; after that <c>/meta</c> rules.
/// </summary>
public sealed class FossilOptions
{
    /// <summary>Name of the configuration section the options are read from (<c>Fossil:*</c>, or <c>Fossil__*</c> in environment variables).</summary>
    public const string Section = "Fossil";

    /// <summary>How to reach etcd (<c>Fossil:Etcd:*</c>); by default one member at <c>http://127.0.0.1:2379</c>.</summary>
    public EtcdClientOptions Etcd { get; set; } = new();

    /// <summary>Prefix of every key the store uses, so several stores can share one etcd. Default: none.</summary>
    public string? RootPrefix { get; set; }

    /// <summary>Segment settings (<c>Fossil:Segment:*</c>): seeds for the store-wide ones, and this node's own.</summary>
    public SegmentOptions Segment { get; set; } = new();

    /// <summary>Seeds for <c>vector.dimension</c> and <c>vector.metric</c> (<c>Fossil:Vector:*</c>).</summary>
    public VectorOptions Vector { get; set; } = new();

    /// <summary>Seeds for the HNSW parameters <c>hnsw.m</c>, <c>hnsw.ef_construction</c>, <c>hnsw.ef_search</c> (<c>Fossil:Hnsw:*</c>).</summary>
    public HnswOptions Hnsw { get; set; } = new();

    /// <summary>Clock for timestamps and windows; tests replace it.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>The store-wide settings this node seeds <c>/meta/config</c> with when it is absent.</summary>
    public StoreSettings ToSeedSettings()
    {
        var seed = new StoreSettings();
        foreach (var (name, value) in Segment.SeedValues().Concat(Vector.SeedValues()).Concat(Hnsw.SeedValues()))
            seed = seed.With(name, value);
        return seed;
    }

    internal static string? Invariant(int? value) => value?.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The seeds given, by setting name: an unset one leaves the store's default.</summary>
    internal static IEnumerable<(string Name, string Value)> Given(params (string Name, string? Value)[] seeds) =>
        seeds.Where(s => s.Value is not null).Select(s => (s.Name, s.Value!));
}

/// <summary><c>Fossil:Vector:*</c>: seeds of the store-wide vector settings; unset ones keep the store's defaults (no dimension yet, cosine).</summary>
public sealed class VectorOptions
{
    /// <summary>Seed for <c>vector.dimension</c>; left unset, the store's first vector fixes it.</summary>
    public int? Dimension { get; set; }

    /// <summary>Seed for <c>vector.metric</c>: <c>cosine</c>, <c>l2</c> or <c>ip</c>.</summary>
    public string? Metric { get; set; }

    internal IEnumerable<(string Name, string Value)> SeedValues() =>
        FossilOptions.Given(("vector.dimension", FossilOptions.Invariant(Dimension)), ("vector.metric", Metric));
}

/// <summary><c>Fossil:Hnsw:*</c>: seeds of the store-wide HNSW parameters; unset ones keep the store's defaults.</summary>
public sealed class HnswOptions
{
    /// <summary>Seed for <c>hnsw.m</c>: links per node per layer.</summary>
    public int? M { get; set; }

    /// <summary>Seed for <c>hnsw.ef_construction</c>: candidates kept while building.</summary>
    public int? EfConstruction { get; set; }

    /// <summary>Seed for <c>hnsw.ef_search</c>: candidates kept while searching.</summary>
    public int? EfSearch { get; set; }

    internal IEnumerable<(string Name, string Value)> SeedValues() =>
        FossilOptions.Given(("hnsw.m", FossilOptions.Invariant(M)), ("hnsw.ef_construction", FossilOptions.Invariant(EfConstruction)),
            ("hnsw.ef_search", FossilOptions.Invariant(EfSearch)));
}

/// <summary><c>Fossil:Segment:*</c>, named after the seed's <c>segment.*</c> settings.</summary>
public sealed class SegmentOptions
{
    /// <summary>
    /// Seed for <c>segment.duration</c>: how long a time window lasts before its segments are sealed and new ones
    /// start, e.g. <c>1h</c> or <c>1d</c>; a whole number of seconds. Windows are aligned to the Unix epoch in UTC.
    /// </summary>
    public string Duration { get; set; } = "1d";

    /// <summary>Seed for <c>segment.partitions</c>: 2 measured best for one writer node (docs/benchmarks.md); more spread many writer nodes.</summary>
    public int Partitions { get; set; } = 2;

    /// <summary>Seed for <c>segment.retention</c>: a sealed segment is evicted at the next retention round after its window ended this long ago (any positive duration, such as <c>500ms</c> or <c>30d</c>).</summary>
    public string Retention { get; set; } = "30d";

    /// <summary>
    /// Seed for <c>segment.max_size</c>: an active segment that reaches this size is rotated early to a new generation,
    /// e.g. <c>64MB</c> or <c>10GB</c> (binary multiples; at least <c>1MB</c>).
    /// </summary>
    public string MaxSize { get; set; } = "10GB";

    /// <summary>Node-local: where sealed segments are materialized.</summary>
    public string Directory { get; set; } = "./data/segments";

    /// <summary>Node-local: prefault memory-mapped segment files when opening them.</summary>
    public bool MmapPopulate { get; set; } = true;

    /// <summary>Node-local: a directory every node can reach where sealed segments are published; none by default.</summary>
    public string? Archive { get; set; }

    internal IEnumerable<(string Name, string Value)> SeedValues()
    {
        yield return ("segment.duration", Duration);
        yield return ("segment.partitions", Partitions.ToString(System.Globalization.CultureInfo.InvariantCulture));
        yield return ("segment.retention", Retention);
        yield return ("segment.max_size", MaxSize);
    }
}
