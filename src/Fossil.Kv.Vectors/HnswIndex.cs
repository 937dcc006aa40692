using System.Diagnostics.CodeAnalysis;
using Fossil.Kv.Vectors.Graph;

namespace Fossil.Kv.Vectors;

/// <summary>
/// An in-memory HNSW graph (Malkov &amp; Yashunin, as hnswlib implements it) that grows as vectors are
/// added and serves searches at the same time. <see cref="Save"/> writes it in the format
/// <see cref="MappedHnswIndex"/> opens.
/// </summary>
/// <remarks>
/// Concurrency (after hnswlib): <see cref="Add"/> and <see cref="Search"/> may run on any number of
/// threads. Each node's link lists are guarded by a per-node spin lock that writers hold only while
/// they change that one list (never two at once, so no lock ordering exists to get wrong); a lock
/// serializes inserts that raise the top level. Searches take no locks at all. Growth: when capacity
/// runs out, one writer excludes the others (a reader-writer lock whose shared side every insert holds),
/// copies the arrays into a store twice the size and publishes it; searches still walking the old store
/// keep it alive through its SafeHandle reference count, and it is freed when the last one finishes.
/// <para>
/// As in hnswlib, pruning a full neighbor list with the heuristic can, rarely, leave a node with no
/// in-links, so no search reaches it (seen with small M on tiny sets, and with many exact duplicates,
/// which the heuristic treats as redundant); the store's exact fallback is <see cref="BruteForceIndex"/>.
/// </para>
/// </remarks>
public sealed unsafe partial class HnswIndex : IVectorIndex
{
    /// <summary>Largest supported dimension.</summary>
    public const int MaxDimension = 65536;

    private const int MaxLevel = 64;

    private readonly HnswParameters _parameters;
    private readonly double _levelMultiplier;
    private readonly int _maxM0;
    private readonly int _maxM;
    private readonly int _upperStride;
    private readonly ReaderWriterLockSlim _structureLock = new(LockRecursionPolicy.NoRecursion);
    private readonly Lock _reserveLock = new();
    private readonly Lock _entryLock = new();
    private readonly Dictionary<long, int> _ids = [];

    private NodeStore _store;
    private int _reserved;
    private long _upperUsed;
    private int _count;

    // Entry point (high 32 bits) and max level (low 32 bits), swapped as one value so readers never see a mix.
    private long _entry = Pack(-1, -1);
    private volatile bool _disposed;
    private int _disposeStarted;

    /// <summary>An empty index; vectors are added with <see cref="Add"/>.</summary>
    /// <param name="dimension">Components per vector, 1..65536.</param>
    /// <param name="metric">Distance measure.</param>
    /// <param name="parameters">Graph parameters; validated.</param>
    /// <param name="initialCapacity">Vectors to allocate room for up front; the index doubles as needed.</param>
    public HnswIndex(int dimension, VectorMetric metric, HnswParameters parameters, int initialCapacity = 1024)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentOutOfRangeException.ThrowIfLessThan(dimension, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(dimension, MaxDimension);
        if (!Enum.IsDefined(metric))
            throw new ArgumentOutOfRangeException(nameof(metric), metric, "Unknown vector metric.");
        ArgumentOutOfRangeException.ThrowIfNegative(initialCapacity);
        parameters.Validate();
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("The vector index is laid out little-endian and needs a little-endian CPU.");

        Dimension = dimension;
        Metric = metric;
        _parameters = parameters;
        _maxM = parameters.M;
        _maxM0 = parameters.MaxM0;
        _upperStride = 1 + _maxM;
        _levelMultiplier = 1.0 / Math.Log(parameters.M);
        var capacity = Math.Max(initialCapacity, 16);
        _store = new NodeStore(capacity, EstimateUpper(capacity), dimension, _maxM0, _maxM);
    }

    /// <inheritdoc/>
    public int Dimension { get; }

    /// <inheritdoc/>
    public VectorMetric Metric { get; }

    /// <summary>The parameters the graph is built with.</summary>
    public HnswParameters Parameters => _parameters;

    /// <summary>Vectors fully inserted (visible to searches).</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>Vectors the current arrays have room for before the next growth.</summary>
    public int Capacity => Volatile.Read(ref _store).Capacity;

    /// <summary>Whether a vector with <paramref name="label"/> has been added (or is being added).</summary>
    public bool Contains(long label)
    {
        lock (_reserveLock)
            return _ids.ContainsKey(label);
    }

    /// <summary>
    /// Waits for adds in flight, then frees the graph's native memory. Safe to call more than once and while
    /// searches run: memory a running search still walks is freed when it finishes. Adds and searches after
    /// disposal throw <see cref="ObjectDisposedException"/>.
    /// </summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposeStarted, 1) != 0)
            return;
        _structureLock.EnterWriteLock();
        try
        {
            _disposed = true;
            // Searches in flight hold a reference; the memory goes when the last of them is done.
            _store.Dispose();
        }
        finally
        {
            _structureLock.ExitWriteLock();
        }
        _structureLock.Dispose();
    }

    private static long Pack(int entryPoint, int maxLevel) => ((long)entryPoint << 32) | (uint)maxLevel;

    private static int EntryOf(long packed) => (int)(packed >> 32);

    private static int MaxLevelOf(long packed) => (int)packed;

    private long EstimateUpper(int capacity) =>
        Math.Max(64L * _upperStride, (long)Math.Ceiling(capacity * 1.25 / (_parameters.M - 1)) * _upperStride);

    /// <summary>The node's top layer: hnswlib's <c>-ln(U) * 1/ln(M)</c>, with U drawn from a hash of the seed and
    /// the node's insertion number so a build does not depend on which thread drew first.</summary>
    private int LevelFor(int id)
    {
        var z = ((ulong)(uint)_parameters.Seed << 32) | (uint)id;
        z += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        z ^= z >> 31;
        var u = ((z >> 11) + 1) * (1.0 / (1UL << 53)); // (0, 1]
        return Math.Min((int)(-Math.Log(u) * _levelMultiplier), MaxLevel);
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);

    [DoesNotReturn]
    private static void ThrowDuplicate(long label) =>
        throw new ArgumentException($"A vector with label {label} is already in the index.", nameof(label));
}
