using Fossil.Kv.Appends;
using Fossil.Kv.Segments;
using Fossil.Kv.Streams;

namespace Fossil.Kv;

public sealed partial class EventStore
{
    /// <summary>A rotation reroutes an append; more reroutes than this in one call means something is wrong.</summary>
    private const int MaxReroutes = 100;

    /// <summary>
    /// Appends events to a stream if its state matches <paramref name="expectedState"/>; all or nothing.
    /// Re-sending an append whose events were already written (same ids) returns the original result
    /// with <see cref="AppendResult.IsRepeat"/> set and writes nothing.
    /// </summary>
    /// <exception cref="WrongExpectedVersionException">The stream's version did not match.</exception>
    /// <exception cref="InvalidRequestException">The stream name or an event is invalid.</exception>
    /// <exception cref="AppendTooLargeException">The append can never fit one etcd request.</exception>
    /// <exception cref="StoreUnavailableException">etcd cannot take it now; retry with the same event ids.</exception>
    /// <exception cref="StoreFullException">etcd is over its space quota; nothing was written.</exception>
    /// <exception cref="DuplicateEventIdException">An event id is in the stream already, with other content or from another append.</exception>
    /// <exception cref="OperationCanceledException">
    /// <paramref name="cancellationToken"/> was cancelled. An append already sent to etcd may still be written: re-send it
    /// with the same event ids to learn its result (a repeat writes nothing).
    /// </exception>
    /// <exception cref="ObjectDisposedException">The store is disposed.</exception>
    public async Task<AppendResult> AppendToStreamAsync(
        string streamName, StreamState expectedState, IEnumerable<EventData> eventData, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(eventData);
        var results = await AppendAsync([new StreamAppend(streamName, expectedState, eventData as IReadOnlyList<EventData> ?? [.. eventData])], cancellationToken)
            .ConfigureAwait(false);
        return results[0];
    }

    /// <summary>
    /// Appends to several streams atomically: every stream's expectation must hold, and then all events
    /// are written in one etcd transaction, or none are. The results are in the order of <paramref name="streams"/>;
    /// a repeat of a whole earlier append returns its results with <see cref="AppendResult.IsRepeat"/> set.
    /// </summary>
    /// <exception cref="WrongExpectedVersionException">One stream's version did not match; it names that stream. Nothing was written.</exception>
    /// <exception cref="InvalidRequestException">No streams, a stream named twice, or a stream name or event is invalid.</exception>
    /// <exception cref="AppendTooLargeException">The append can never fit one etcd request: over 25 streams (<see cref="AppendTooLargeException.Limit"/>), or too many events or bytes.</exception>
    /// <exception cref="StoreUnavailableException">etcd cannot take it now; retry with the same event ids.</exception>
    /// <exception cref="OperationCanceledException">
    /// <paramref name="cancellationToken"/> was cancelled; an append already sent may still be written (see <see cref="AppendToStreamAsync"/>).
    /// </exception>
    public async Task<IReadOnlyList<AppendResult>> AppendAsync(IReadOnlyList<StreamAppend> streams, CancellationToken cancellationToken = default)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            var results = await AppendCoreAsync(streams, cancellationToken).ConfigureAwait(false);
            var repeat = results[0].IsRepeat;
            StoreMetrics.Appends.Add(1, new KeyValuePair<string, object?>("result", repeat ? "repeat" : "created"));
            if (!repeat)
            {
                long events = 0;
                foreach (var result in results) events += result.LastVersion - result.FirstVersion + 1;
                StoreMetrics.EventsAppended.Add(events);
            }
            return results;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            StoreMetrics.Appends.Add(1, new KeyValuePair<string, object?>("result", StoreMetrics.Outcome(e)));
            throw;
        }
        finally
        {
            StoreMetrics.AppendSeconds.Record(System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds);
        }
    }

    private async Task<IReadOnlyList<AppendResult>> AppendCoreAsync(IReadOnlyList<StreamAppend> streams, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(streams);
        if (streams.Count == 0) throw new InvalidRequestException("An append must name at least one stream.");
        if (streams.Count > AppendLimits.MaxStreamsPerAppend)
            // It could never fit one etcd transaction (128 operations per list), so it is too large, as SPEC §2 has it, not malformed.
            throw new AppendTooLargeException(
                $"An atomic append covers at most {AppendLimits.MaxStreamsPerAppend} streams (etcd takes 128 operations per transaction); this one names {streams.Count}.",
                AppendLimits.MaxStreamsPerAppend);
        if (streams.Count > 1)
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var stream in streams)
                if (!seen.Add(stream.Stream)) throw new InvalidRequestException($"Stream '{stream.Stream}' appears more than once in one append.");
        }

        // A store's first append seeds /meta/config; a bad append must not: check it against the settings it would
        // seed first (the real ones, once read, check it again).
        if (!_initialized) VectorDimensionOf(Prepare(streams, _context.Options.ToSeedSettings()));
        await EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var parts = Prepare(streams, await _catalog.GetSettingsAsync(cancellationToken).ConfigureAwait(false));
            var vectorDimension = VectorDimensionOf(parts);

            foreach (var part in parts)
            {
                // "any" and "exists" need the stream's version: read it once, then the tip cache keeps it warm.
                if (!part.Expected.IsExact && !part.Expected.IsNoStream && _context.Tips.Get(part.Stream) is null)
                    await StreamTipLoader.LoadAsync(_context, part.Stream, cancellationToken).ConfigureAwait(false);
            }

            var attempts = 0;
            for (var reroutes = 0; ; reroutes++)
            {
                var dimensionFix = vectorDimension > 0 && _catalog.Settings.VectorDimension == 0
                    ? await PrepareVectorDimensionAsync(vectorDimension, cancellationToken).ConfigureAwait(false)
                    : null;
                var window = await _catalog.GetCurrentWindowAsync(cancellationToken).ConfigureAwait(false);
                // A unit completes once, so every routing gets a new one that carries the attempts so far.
                var attempt = new AppendUnit(parts) { Attempts = attempts, DimensionFix = dimensionFix };
                if (parts.Length == 1)
                {
                    CommitterFor(window.SegmentFor(parts[0].Stream)).Enqueue(attempt);
                }
                else
                {
                    var segments = parts.Select(p => window.SegmentFor(p.Stream)).Distinct().Order().ToArray();
                    if (segments.Length == 1) CommitterFor(segments[0]).Enqueue(attempt);
                    else _ = CommitAcrossSegmentsAsync(window, segments, attempt, cancellationToken);
                }
                try
                {
                    return await attempt.Completion.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (RerouteException) when (reroutes < MaxReroutes)
                {
                    attempts = attempt.Attempts;
                    RetireCommittersOutside(_catalog.CachedWindow);
                }
            }
        }
        catch (Exception e) when (e is not FossilException and not OperationCanceledException)
        {
            throw AppendErrors.Translate(e);
        }
    }

    private SegmentCommitter CommitterFor(SegmentId segment) =>
        _committers.GetOrAdd(segment, s => new SegmentCommitter(_context, _catalog, s));

    /// <summary>Committers of segments that left the current window get no more work; stop them.</summary>
    private void RetireCommittersOutside(WindowView? window)
    {
        if (window is null) return;
        foreach (var (segment, committer) in _committers)
        {
            if (window.Contains(segment) || !_committers.TryRemove(segment, out _)) continue;
            _ = committer.DisposeAsync().AsTask();
        }
    }

    /// <summary>
    /// An atomic append over streams in different segments: one Txn that holds the transaction slot of
    /// every segment involved (taken in id order, so two such appends cannot deadlock).
    /// </summary>
    private async Task CommitAcrossSegmentsAsync(WindowView window, SegmentId[] segments, AppendUnit unit, CancellationToken cancellationToken)
    {
        var committers = segments.Select(CommitterFor).ToArray();
        var held = 0;
        try
        {
            foreach (var committer in committers)
            {
                try
                {
                    await committer.TxnSlot.WaitAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (ObjectDisposedException)
                {
                    // A concurrent reroute retired this committer (its segment left the window) after this append
                    // picked it: nothing was sent, so route again like any append that meets a rotation.
                    unit.Completion.TrySetException(new RerouteException());
                    return;
                }
                held++;
            }
            while (!unit.Completion.Task.IsCompleted)
            {
                var missing = committers.Where(c => c.Record is null).Select(c => c.Segment).ToArray();
                foreach (var view in await _catalog.ReadSegmentsAsync(missing, cancellationToken).ConfigureAwait(false))
                    committers.First(c => c.Segment == view.Record.Id).Record = view;
                if (committers.Any(c => c.Record is not { Record.Status: SegmentStatus.Active }) || _catalog.CachedWindow is { } current && current.ModRevision != window.ModRevision)
                {
                    unit.Completion.TrySetException(new RerouteException());
                    return;
                }
                if (AppendResolution.CertainlyUnsatisfied(_context, unit, window)
                    && !await AppendResolution.ResolveAsync(_context, unit, cancellationToken).ConfigureAwait(false))
                    return;
                var retry = false;
                var txn = new AppendTransaction(_context, window, committers.Select(c => c.Record!), [unit]);
                await AppendExecutor.ExecuteAsync(_context, _catalog, txn, (u, counts) =>
                {
                    retry = true;
                    if (counts) u.Attempts++;
                }, cancellationToken).ConfigureAwait(false);
                foreach (var record in txn.Records) committers.First(c => c.Segment == record.Record.Id).Record = record;
                if (retry && unit.Attempts > 64)
                    unit.Completion.TrySetException(new StoreUnavailableException("The multi-stream append lost too many compare-and-swap races; retry it.", TimeSpan.FromSeconds(1)));
            }
        }
        catch (Exception e)
        {
            unit.Completion.TrySetException(AppendErrors.Translate(e));
        }
        finally
        {
            for (var i = 0; i < held; i++)
            {
                // A committer retired while this append held its slot has disposed the slot; the unit is answered already.
                try { committers[i].TxnSlot.Release(); }
                catch (ObjectDisposedException) { }
            }
        }
    }

    /// <summary>Validates and encodes every part of an append under <paramref name="settings"/>; throws naming the first problem.</summary>
    private static PreparedAppend[] Prepare(IReadOnlyList<StreamAppend> streams, Configuration.StoreSettings settings)
    {
        var parts = new PreparedAppend[streams.Count];
        long bytes = 0, events = 0;
        for (var i = 0; i < parts.Length; i++)
        {
            parts[i] = PreparedAppend.Create(streams[i].Stream, streams[i].ExpectedState, streams[i].Events, settings.VectorDimension, settings.Metric);
            bytes += parts[i].EncodedBytes;
            events += parts[i].Events.Length;
        }
        if (bytes > AppendLimits.MaxAppendBytes)
            throw new AppendTooLargeException(
                $"The append encodes to {bytes} bytes; one append must fit one etcd request, at most {AppendLimits.MaxAppendBytes} bytes of events.",
                AppendLimits.MaxAppendBytes);
        if (events > AppendLimits.MaxEventsPerAppend)
            throw new AppendTooLargeException($"An append carries at most {AppendLimits.MaxEventsPerAppend} events.", AppendLimits.MaxEventsPerAppend);
        return parts;
    }

    /// <summary>The dimension of the append's vectors, 0 when it has none; they must agree.</summary>
    private static int VectorDimensionOf(PreparedAppend[] parts)
    {
        var dimension = 0;
        foreach (var part in parts)
        {
            if (part.VectorDimension == 0 || part.VectorDimension == dimension) continue;
            if (dimension != 0)
                throw new InvalidRequestException($"The append carries vectors of different dimensions ({dimension}, {part.VectorDimension}).");
            dimension = part.VectorDimension;
        }
        return dimension;
    }

    /// <summary>
    /// The first vector appended to a store fixes <c>vector.dimension</c>: inside the append's own
    /// transaction (compare-and-swap on <c>/meta/config</c>), so an append that is refused, whatever the
    /// reason, leaves the setting unset. Null when the dimension is in force already and matches.
    /// </summary>
    private async Task<Segments.VectorDimensionFix?> PrepareVectorDimensionAsync(int dimension, CancellationToken cancellationToken)
    {
        var (inForce, fix) = await _catalog.PrepareVectorDimensionAsync(dimension, cancellationToken).ConfigureAwait(false);
        if (inForce != 0 && inForce != dimension)
            throw new InvalidRequestException($"The append carries vectors of dimension {dimension}; this store's vector.dimension is {inForce}.");
        return fix;
    }
}
