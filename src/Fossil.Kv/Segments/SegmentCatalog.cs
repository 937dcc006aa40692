using Etcdserverpb;
using Fossil.Kv.Configuration;
using Fossil.Kv.Keyspace;

namespace Fossil.Kv.Segments;

/// <summary>The window a writer believes current, with the mod revision its appends compare against.</summary>
internal sealed record WindowView(WindowRecord Record, long ModRevision)
{
    public bool Contains(SegmentId segment) => Record.Segments.Contains(segment.ToString());

    public SegmentId SegmentFor(string stream) =>
        Record.SegmentOf(StreamPartitioner.PartitionOf(stream, Record.Partitions));
}

/// <summary>
/// <c>/meta/config</c> with <c>vector.dimension</c> set by the store's first vector, written by that append's
/// own transaction if the config is still at <paramref name="ConfigModRevision"/>.
/// </summary>
internal sealed record VectorDimensionFix(long ConfigModRevision, StoreSettings Settings);

/// <summary>A segment record with the mod revision it was read at (the segment's CAS point).</summary>
internal sealed record SegmentView(SegmentRecord Record, long ModRevision, long CreateRevision);

/// <summary>
/// The store's view of <c>/meta/config</c> and <c>/meta/window</c>, and the one place that rotates
/// windows. Rotation is a single compare-and-swap Txn, so any writer may do it and no coordinator is
/// needed: when two race, one wins and the other adopts the winner's window.
/// </summary>
internal sealed class SegmentCatalog(StoreContext context) : IDisposable
{
    private static readonly TimeSpan SettingsMaxAge = TimeSpan.FromSeconds(5);
    private readonly SemaphoreSlim _rotation = new(1, 1);
    private volatile WindowView? _window;
    private StoreSettings _settings = new();
    private long _settingsReadAt = long.MinValue;

    private KeyLayout Keys => context.Keys;

    public StoreSettings Settings => _settings;

    public WindowView? CachedWindow => _window;

    /// <summary>Seeds <c>/meta/config</c> from this node's options when absent; otherwise loads it.</summary>
    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        // Read first: a Txn that may put is refused under etcd's NOSPACE alarm, and reads must go on then.
        var existing = await context.Etcd.GetAsync(Ops.Bytes(Keys.Config), cancellationToken).ConfigureAwait(false);
        var seed = context.Options.ToSeedSettings();
        if (existing.Kvs.Count > 0)
        {
            _settings = StoreSettings.FromJsonBytes(existing.Kvs[0].Value.Span);
            _settingsReadAt = context.Clock.GetTimestamp();
            LogWhereMetaDiffers(seed);
            return;
        }
        var txn = new TxnRequest();
        txn.Compare.Add(Ops.Missing(Keys.Config));
        txn.Success.Add(Ops.Put(Keys.Config, seed.ToJsonBytes()));
        txn.Failure.Add(Ops.Get(Keys.Config));
        var response = await context.Etcd.TxnAsync(txn, cancellationToken).ConfigureAwait(false);
        _settings = response.Succeeded ? seed : StoreSettings.FromJsonBytes(response.Responses[0].ResponseRange.Kvs[0].Value.Span);
        _settingsReadAt = context.Clock.GetTimestamp();
        LogWhereMetaDiffers(seed);
    }

    /// <summary>An operator who configured a node differently from the store should hear which value is in force.</summary>
    private void LogWhereMetaDiffers(StoreSettings seed)
    {
        var differences = string.Join("; ", _settings.ToPairs().Zip(seed.ToPairs())
            .Where(p => p.First.Value != p.Second.Value)
            .Select(p => $"{p.First.Key} is {p.First.Value} there, {p.Second.Value} in this node's configuration"));
        if (differences.Length > 0) Log.SettingsFromMeta(context.Logger, differences);
    }

    /// <summary>Store-wide settings, re-read from etcd when older than a few seconds.</summary>
    public async ValueTask<StoreSettings> GetSettingsAsync(CancellationToken cancellationToken)
    {
        // long.MinValue means "forgotten"; GetElapsedTime from it would overflow into a negative age.
        if (_settingsReadAt != long.MinValue && context.Clock.GetElapsedTime(_settingsReadAt) < SettingsMaxAge) return _settings;
        var response = await context.Etcd.GetAsync(Ops.Bytes(Keys.Config), cancellationToken).ConfigureAwait(false);
        if (response.Kvs.Count > 0) _settings = StoreSettings.FromJsonBytes(response.Kvs[0].Value.Span);
        _settingsReadAt = context.Clock.GetTimestamp();
        return _settings;
    }

    /// <summary>
    /// For an append that carries vectors of <paramref name="dimension"/> while the cached settings have none:
    /// the dimension in force (re-read from etcd), or, while it is still unset, the compare-and-swap that sets
    /// it, for the append's own transaction to carry (so a refused append leaves the setting unset).
    /// </summary>
    public async Task<(int InForce, VectorDimensionFix? Fix)> PrepareVectorDimensionAsync(int dimension, CancellationToken cancellationToken)
    {
        var response = await context.Etcd.GetAsync(Ops.Bytes(Keys.Config), cancellationToken).ConfigureAwait(false);
        var kv = response.Kvs.Count > 0 ? response.Kvs[0] : throw MissingConfig();
        var settings = StoreSettings.FromJsonBytes(kv.Value.Span);
        _settings = settings;
        _settingsReadAt = context.Clock.GetTimestamp();
        return settings.VectorDimension != 0
            ? (settings.VectorDimension, null)
            : (0, new VectorDimensionFix(kv.ModRevision, settings with { VectorDimension = dimension }));
    }

    /// <summary>An append carrying <paramref name="fix"/> committed: the settings it wrote are in force.</summary>
    public void Fixed(VectorDimensionFix fix)
    {
        _settings = fix.Settings;
        _settingsReadAt = context.Clock.GetTimestamp();
    }

    /// <summary>The store seeds <c>/meta/config</c> when it connects; someone deleted it since.</summary>
    public InvalidOperationException MissingConfig() =>
        new($"{System.Text.Encoding.UTF8.GetString(Keys.Config)} is missing from etcd (deleted by hand?); restart a node to seed it again.");

    public void ForgetSettings() => _settingsReadAt = long.MinValue;

    /// <summary>The window that takes writes now, rotating to a new one when the current has ended.</summary>
    public async ValueTask<WindowView> GetCurrentWindowAsync(CancellationToken cancellationToken)
    {
        var window = _window;
        if (window is not null && context.UtcNow < EndOf(window.Record, _settings)) return window;
        window = await ReadWindowAsync(cancellationToken).ConfigureAwait(false);
        while (window is null || context.UtcNow >= EndOf(window.Record, _settings))
            window = await RotateAsync(window, partitionToSplit: null, cancellationToken).ConfigureAwait(false);
        return window;
    }

    /// <summary>When <paramref name="window"/> stops taking writes under <paramref name="settings"/> (<see cref="SegmentWindows.EndUnder"/>).</summary>
    private static DateTime EndOf(WindowRecord window, StoreSettings settings) =>
        SegmentWindows.EndUnder(window.Start, window.End, settings.SegmentDuration);

    /// <summary>Adopts a window seen in a failed Txn's reads, if it is newer than the cached one.</summary>
    public void Observe(WindowView window)
    {
        var current = _window;
        if (current is null || window.ModRevision > current.ModRevision) _window = window;
    }

    public async Task<WindowView?> ReadWindowAsync(CancellationToken cancellationToken)
    {
        var response = await context.Etcd.GetAsync(Ops.Bytes(Keys.Window), cancellationToken).ConfigureAwait(false);
        if (response.Kvs.Count == 0) return null;
        var window = new WindowView(WindowRecord.FromJsonBytes(response.Kvs[0].Value.Span), response.Kvs[0].ModRevision);
        Observe(window);
        return _window;
    }

    /// <summary>
    /// Replaces <paramref name="current"/> with a new window: a new time window when it has ended, or
    /// the same window with a new generation for <paramref name="partitionToSplit"/> when that segment
    /// outgrew <c>segment.max_size</c>. The replaced segments are sealed in the same Txn. Returns the
    /// window in force afterwards, whoever rotated.
    /// </summary>
    public async Task<WindowView> RotateAsync(WindowView? current, int? partitionToSplit, CancellationToken cancellationToken)
    {
        await _rotation.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // Someone rotated while this caller waited: a newer window than the one it saw, or any window when it saw
            // none (the store's first appenders all arrive here; without this each would pay a settings read and a
            // doomed Txn, one after another, and their appends would trickle into the committer one at a time).
            if (_window is { } fresher && (current is null || fresher.ModRevision > current.ModRevision)) return fresher;
            ForgetSettings();
            var settings = await GetSettingsAsync(cancellationToken).ConfigureAwait(false);
            var now = context.UtcNow;
            // The caller judged the window ended by settings up to a few seconds old; the fresh ones may say otherwise.
            if (partitionToSplit is null && current is not null && now < EndOf(current.Record, settings)) return current;
            var next = partitionToSplit is { } partition && current is not null
                ? SplitPartition(current.Record, partition)
                : NewWindow(current?.Record, settings, now);
            var replaced = current is null ? [] : current.Record.Segments.Except(next.Segments).Select(SegmentId.Parse).ToArray();
            var oldRecords = await ReadSegmentsAsync(replaced, cancellationToken).ConfigureAwait(false);

            var txn = new TxnRequest();
            txn.Compare.Add(current is null ? Ops.Missing(Keys.Window) : Ops.ModRevisionIs(Keys.Window, current.ModRevision));
            foreach (var old in oldRecords) txn.Compare.Add(Ops.ModRevisionIs(Keys.Segment(old.Record.Id), old.ModRevision));
            txn.Success.Add(Ops.Put(Keys.Window, next.ToJsonBytes()));
            foreach (var sid in next.Segments.Except(current?.Record.Segments ?? []))
            {
                var id = SegmentId.Parse(sid);
                var record = new SegmentRecord
                {
                    SegmentId = sid,
                    Partition = id.Partition,
                    Generation = id.Generation,
                    TimeRange = new TimeRange(next.Start, next.End),
                    CreatedAt = now,
                };
                txn.Success.Add(Ops.Put(Keys.Segment(id), record.ToJsonBytes()));
            }
            foreach (var old in oldRecords)
            {
                if (old.Record.Status != SegmentStatus.Active) continue;
                var sealedRecord = old.Record with { Status = SegmentStatus.Sealed, SealedAt = now };
                // A window cut short by a shorter segment.duration took writes until now: its range says so, and retention
                // counts from there. (The next window starts on the new duration's boundary, at or a little before now.)
                var range = old.Record.TimeRange;
                if (partitionToSplit is null && now < range.End) sealedRecord = sealedRecord with { TimeRange = new TimeRange(range.Start, now) };
                txn.Success.Add(Ops.Put(Keys.Segment(old.Record.Id), sealedRecord.ToJsonBytes()));
            }
            txn.Failure.Add(Ops.Get(Keys.Window));

            var response = await context.Etcd.TxnAsync(txn, cancellationToken).ConfigureAwait(false);
            if (response.Succeeded)
            {
                var rotated = new WindowView(next, response.Header.Revision);
                Observe(rotated);
                Log.WindowRotated(context.Logger, next.Start, next.End, next.Partitions, next.Segments);
                return _window!;
            }
            var kvs = response.Responses[0].ResponseRange.Kvs;
            if (kvs.Count > 0) Observe(new WindowView(WindowRecord.FromJsonBytes(kvs[0].Value.Span), kvs[0].ModRevision));
            // Someone else rotated, or an old segment took a batch between our read and our Txn: look again.
            return _window ?? await ReadWindowAsync(cancellationToken).ConfigureAwait(false) ?? throw new InvalidOperationException("No window after a failed rotation.");
        }
        finally
        {
            _rotation.Release();
        }
    }

    private static WindowRecord NewWindow(WindowRecord? current, StoreSettings settings, DateTime now)
    {
        var duration = settings.SegmentDuration;
        var start = SegmentWindows.StartOf(now, duration);
        // Never go back in time: a node whose clock lags still moves forward from the current window.
        if (current is not null)
        {
            var currentEnd = SegmentWindows.EndUnder(current.Start, current.End, duration);
            if (start < currentEnd) start = currentEnd;
        }
        // Windows end on the duration's UTC boundaries: after a change of segment.duration the first window may start
        // off a boundary (where the last one ended) and is then shorter, so that every later one is aligned.
        var end = SegmentWindows.NextBoundary(start, duration);
        var partitions = settings.SegmentPartitions;
        return new WindowRecord
        {
            Start = start,
            End = end,
            Partitions = partitions,
            Segments = [.. Enumerable.Range(0, partitions).Select(p => new SegmentId(start, p, 0).ToString())],
        };
    }

    private static WindowRecord SplitPartition(WindowRecord current, int partition)
    {
        var old = current.SegmentOf(partition);
        if (old.Generation >= SegmentId.MaxGeneration)
            throw new InvalidOperationException($"Segment {old} reached the last generation of its window; raise segment.max_size.");
        var segments = current.Segments.ToArray();
        segments[partition] = (old with { Generation = old.Generation + 1 }).ToString();
        return current with { Segments = segments };
    }

    public async Task<IReadOnlyList<SegmentView>> ReadSegmentsAsync(IReadOnlyList<SegmentId> segments, CancellationToken cancellationToken)
    {
        if (segments.Count == 0) return [];
        var txn = new TxnRequest();
        foreach (var segment in segments) txn.Success.Add(Ops.Get(Keys.Segment(segment)));
        var response = await context.Etcd.TxnAsync(txn, cancellationToken).ConfigureAwait(false);
        return [.. response.Responses
            .Where(r => r.ResponseRange.Kvs.Count > 0)
            .Select(r => r.ResponseRange.Kvs[0])
            .Select(kv => new SegmentView(SegmentRecord.FromJsonBytes(kv.Value.Span), kv.ModRevision, kv.CreateRevision))];
    }

    /// <summary>Every segment in the catalog, oldest first, as of <paramref name="revision"/> (0: now), and the revision read at.</summary>
    public async Task<(IReadOnlyList<SegmentView> Segments, long Snapshot)> ListSegmentsAsync(CancellationToken cancellationToken, long revision = 0)
    {
        var request = Ops.Range(Keys.SegmentsPrefix, KeyLayout.PrefixEnd(Keys.SegmentsPrefix));
        request.Revision = revision;
        var response = await context.Etcd.RangeAsync(request, cancellationToken).ConfigureAwait(false);
        var segments = response.Kvs.Select(kv => new SegmentView(SegmentRecord.FromJsonBytes(kv.Value.Span), kv.ModRevision, kv.CreateRevision)).ToArray();
        return (segments, revision == 0 ? response.Header.Revision : revision);
    }

    public void Dispose() => _rotation.Dispose();
}
