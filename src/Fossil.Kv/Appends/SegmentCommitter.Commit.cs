using Fossil.Kv.Segments;

namespace Fossil.Kv.Appends;

internal sealed partial class SegmentCommitter
{
    private async Task CommitAsync(List<AppendUnit> batch, CancellationToken cancellationToken)
    {
        var window = _catalog.CachedWindow;
        if (window is null || !window.Contains(Segment))
        {
            Reroute(batch);
            return;
        }
        if (_record is null)
        {
            var records = await _catalog.ReadSegmentsAsync([Segment], cancellationToken).ConfigureAwait(false);
            _record = records.Count > 0 ? records[0] : null;
        }
        if (_record is null || _record.Record.Status != SegmentStatus.Active)
        {
            await _catalog.ReadWindowAsync(cancellationToken).ConfigureAwait(false);
            Reroute(batch);
            return;
        }

        var send = new List<AppendUnit>(batch.Count);
        foreach (var unit in batch)
        {
            // A cached tip can prove an expectation wrong (tips lag, never lead): settle those with reads, not a doomed Txn.
            if (!AppendResolution.CertainlyUnsatisfied(_context, unit, window) || await AppendResolution.ResolveAsync(_context, unit, cancellationToken).ConfigureAwait(false))
                send.Add(unit);
        }
        if (send.Count == 0) return;

        var txn = new AppendTransaction(_context, window, [_record], send);
        await AppendExecutor.ExecuteAsync(_context, _catalog, txn, Retry, cancellationToken).ConfigureAwait(false);
        _record = txn.Records.Single();

        if (_record.Record.SizeBytes >= _catalog.Settings.SegmentMaxSize && _record.Record.Status == SegmentStatus.Active)
        {
            Log.SegmentFull(_context.Logger, Segment, _record.Record.SizeBytes);
            await _catalog.RotateAsync(window, Segment.Partition, cancellationToken).ConfigureAwait(false);
        }
    }

    private static void Reroute(List<AppendUnit> batch)
    {
        foreach (var unit in batch) unit.Completion.TrySetException(new RerouteException());
    }
}
