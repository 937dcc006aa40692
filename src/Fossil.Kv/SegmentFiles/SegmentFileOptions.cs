using Fossil.Kv.Segments;
using Fossil.Kv.Vectors;

namespace Fossil.Kv.SegmentFiles;

/// <summary>What a <see cref="SegmentFileWriter"/> needs to know about the segment besides its events.</summary>
public sealed record SegmentFileOptions
{
    /// <summary>The segment's id, written to <c>meta.json</c>; not blank.</summary>
    public required string SegmentId { get; init; }

    /// <summary>The segment's partition; not negative.</summary>
    public required int Partition { get; init; }

    /// <summary>The segment's time window.</summary>
    public required TimeRange TimeRange { get; init; }

    /// <summary>When the segment was created (UTC), from its catalog entry.</summary>
    public required DateTime CreatedAt { get; init; }

    /// <summary>When the segment was sealed (UTC), from its catalog entry.</summary>
    public required DateTime SealedAt { get; init; }

    /// <summary>The store's <c>vector.dimension</c>; 0 when the store has no vectors (then no event may carry one).</summary>
    public int VectorDimension { get; init; }

    /// <summary>The store's <c>vector.metric</c>, which the vector index is built for (default cosine).</summary>
    public VectorMetric VectorMetric { get; init; } = VectorMetric.Cosine;

    /// <summary>The store's HNSW parameters (M, efConstruction; the seed fixes level assignment).</summary>
    public HnswParameters Hnsw { get; init; } = new();

    internal void Validate()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(SegmentId);
        ArgumentOutOfRangeException.ThrowIfNegative(Partition);
        ArgumentNullException.ThrowIfNull(TimeRange);
        ArgumentOutOfRangeException.ThrowIfNegative(VectorDimension);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(VectorDimension, HnswIndex.MaxDimension);
        if (!Enum.IsDefined(VectorMetric))
            throw new ArgumentOutOfRangeException(nameof(VectorMetric), VectorMetric, "Unknown vector metric.");
        ArgumentNullException.ThrowIfNull(Hnsw);
        Hnsw.Validate();
    }
}
