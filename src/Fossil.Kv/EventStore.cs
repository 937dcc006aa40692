using System.Collections.Concurrent;
using Fossil.Kv.Appends;
using Fossil.Kv.Etcd;
using Fossil.Kv.Segments;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Fossil.Kv;

/// <summary>
/// The event store: appends, reads and subscriptions over etcd, shaped like the KurrentDB client. Any
/// number of instances, in any number of processes, may use one etcd at once; they coordinate only
/// through etcd compare-and-swap. Thread-safe; create one per process and share it.
/// </summary>
public sealed partial class EventStore : IAsyncDisposable, IDisposable
{
    private readonly StoreContext _context;
    private readonly SegmentCatalog _catalog;
    private readonly Lifecycle.LocalSegments _local;
    private readonly ConcurrentDictionary<SegmentId, SegmentCommitter> _committers = new();
    private readonly Search.ActiveSegmentIndexes _search;
    private readonly Reads.SharedLogWatch _sharedWatch;
    private readonly bool _ownsClient;
    private readonly SemaphoreSlim _initialization = new(1, 1);
    private volatile bool _initialized;
    private int _disposed;

    /// <summary>Cancelled when the store is disposed: ends what runs on the store's behalf, such as a subscriber's own watch.</summary>
    private readonly CancellationTokenSource _disposing = new();

    /// <summary>
    /// A store over an etcd client the caller owns (and disposes after the store). Nothing is sent until the
    /// first operation, which seeds <c>/meta/config</c> when it is absent; <see cref="ConnectAsync"/> does that up front.
    /// </summary>
    /// <param name="etcd">The client to use; the store does not dispose it.</param>
    /// <param name="options">The store's settings; the store keeps them, so do not change them afterwards.</param>
    /// <param name="logger">Where the store logs; null logs nothing.</param>
    public EventStore(IEtcdClient etcd, FossilOptions options, ILogger<EventStore>? logger = null)
        : this(etcd, options, logger, ownsClient: false)
    {
    }

    private EventStore(IEtcdClient etcd, FossilOptions options, ILogger? logger, bool ownsClient)
    {
        ArgumentNullException.ThrowIfNull(etcd);
        ArgumentNullException.ThrowIfNull(options);
        _context = new StoreContext(etcd, options, logger ?? NullLogger.Instance);
        _catalog = new SegmentCatalog(_context);
        _local = _context.Local;
        _sharedWatch = new Reads.SharedLogWatch(WatchLogBatchesAsync, options.Etcd.MaxWatchBufferBytes);
        _search = new Search.ActiveSegmentIndexes(_context, _catalog, _local, (after, token) => SubscribeToAllAsync(after, cancellationToken: token));
        _ownsClient = ownsClient;
    }

    /// <summary>Connects to the etcd in <see cref="FossilOptions.Etcd"/> and prepares the store (seeds <c>/meta/config</c> when absent).</summary>
    public static async Task<EventStore> ConnectAsync(FossilOptions options, ILogger<EventStore>? logger = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var client = new EtcdClient(options.Etcd);
        var store = new EventStore(client, options, logger, ownsClient: true);
        try
        {
            await store.EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
            return store;
        }
        catch
        {
            await store.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Name of the <see cref="System.Diagnostics.Metrics.Meter"/> the store's instruments are on.</summary>
    public const string MeterName = StoreMetrics.MeterName;

    internal StoreContext Context => _context;

    internal SegmentCatalog Catalog => _catalog;

    /// <summary>The etcd client this store uses.</summary>
    public IEtcdClient Etcd => _context.Etcd;

    /// <summary>Whether <see cref="DisposeAsync"/> has begun.</summary>
    private bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    /// <summary>Every operation starts here: a disposed store refuses it, even while an etcd client it does not own lives on.</summary>
    internal async ValueTask EnsureInitializedAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        if (_initialized) return;
        await _initialization.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_initialized) return;
            await _catalog.InitializeAsync(cancellationToken).ConfigureAwait(false);
            _initialized = true;
        }
        catch (Exception e) when (e is not FossilException and not OperationCanceledException)
        {
            throw AppendErrors.Translate(e);
        }
        finally
        {
            _initialization.Release();
        }
    }

    /// <summary>
    /// Lets in-flight appends finish (a few seconds at most), then releases the store's files and its etcd
    /// client. Prefer <see cref="DisposeAsync"/>; this blocks until that is done. Disposing again does nothing.
    /// </summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    /// <summary>
    /// Lets in-flight appends finish (a few seconds at most), then releases the store's files and its etcd client (when
    /// the store made it: <see cref="ConnectAsync"/>). Afterwards every operation throws <see cref="ObjectDisposedException"/>,
    /// and so do subscriptions still running. Disposing again does nothing (a container may dispose a store its
    /// application disposed already).
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        await _search.DisposeAsync().ConfigureAwait(false);
        // Subscribers on the shared watch find the store disposed when it stops; one on a watch of its own, by this.
        await _disposing.CancelAsync().ConfigureAwait(false);
        _sharedWatch.Dispose();
        foreach (var committer in _committers.Values) await committer.DisposeAsync().ConfigureAwait(false);
        _committers.Clear();
        _catalog.Dispose();
        _local.Dispose();
        _initialization.Dispose();
        if (_ownsClient) await _context.Etcd.DisposeAsync().ConfigureAwait(false);
    }
}
