using Fossil.Kv.Segments;
using Fossil.Kv.Vectors;

namespace Fossil.Kv.SegmentFiles;

/// <summary>What a <see cref="SegmentFileWriter"/> needs to know about the segment besides its events.</summary>
public sealed record SegmentFileOptions
{
    public required string SegmentId { get; init; }

    public required int Partition { get; init; }

    public required TimeRange TimeRange { get; init; }

    public required DateTime CreatedAt { get; init; }

    public required DateTime SealedAt { get; init; }

    /// <summary>The store's <c>vector.dimension</c>; 0 when the store has no vectors (then no event may carry one).</summary>
    public int VectorDimension { get; init; }

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
