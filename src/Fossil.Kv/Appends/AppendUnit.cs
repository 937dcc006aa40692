namespace Fossil.Kv.Appends;

/// <summary>
/// Appends that must commit together: one stream's append, or every part of an atomic multi-stream
/// append. A committer puts several units into one transaction, but never splits a unit.
/// </summary>
internal sealed class AppendUnit(IReadOnlyList<PreparedAppend> parts)
{
    public IReadOnlyList<PreparedAppend> Parts { get; } = parts;

    public int EventCount { get; } = parts.Sum(p => p.Events.Length);

    public long EncodedBytes { get; } = parts.Sum(p => p.EncodedBytes);

    /// <summary>How many transactions this unit has been part of; bounds retries under contention.</summary>
    public int Attempts { get; set; }

    /// <summary>Set when a shared transaction came out too large: the unit then goes in a transaction of its own.</summary>
    public bool SendAlone { get; set; }

    /// <summary>
    /// The store's first vectors: the unit's transaction also sets <c>vector.dimension</c>, so the setting
    /// changes exactly when the append commits. Such a unit is sent alone.
    /// </summary>
    public Segments.VectorDimensionFix? DimensionFix
    {
        get;
        init
        {
            field = value;
            if (value is not null) SendAlone = true;
        }
    }

    public TaskCompletionSource<AppendResult[]> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}

/// <summary>The unit's segment is no longer active (a rotation happened): route it again.</summary>
internal sealed class RerouteException() : Exception("The segment stopped taking writes; route the append again.");
