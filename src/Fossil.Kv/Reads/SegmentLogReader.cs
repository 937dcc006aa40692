using Fossil.Kv.Keyspace;
using Fossil.Kv.Records;
using Fossil.Kv.Segments;

namespace Fossil.Kv.Reads;

/// <summary>
/// Reads one segment's batches from etcd in commit order, starting at a global position, at a fixed
/// revision. Batches are keyed by the revision their segment record had before they committed (ADR
/// 0005), so those keyed at or after the start revision all committed after it; the one batch before
/// them may have committed after it too, and is found through the first one's link to its predecessor.
/// </summary>
internal sealed class SegmentLogReader(StoreContext context, SegmentView segment, Position from, long snapshot) : ISegmentLog
{
    private const int PageSize = 64;
    private readonly Queue<(EventRecord Record, long BatchPosition, long Revision)> _buffered = new();
    private byte[]? _next;
    private bool _started;
    private bool _exhausted;

    public SegmentId Segment { get; } = segment.Record.Id;

    /// <summary>The next event at or after the start position, or null at the segment's end (as of the snapshot).</summary>
    public async ValueTask<(EventRecord Record, long BatchPosition, long Revision)?> PeekAsync(CancellationToken cancellationToken)
    {
        while (_buffered.Count == 0 && !_exhausted) await FillAsync(cancellationToken).ConfigureAwait(false);
        return _buffered.Count > 0 ? _buffered.Peek() : null;
    }

    public void Advance() => _buffered.Dequeue();

    private async Task FillAsync(CancellationToken cancellationToken)
    {
        var keys = context.Keys;
        var end = KeyLayout.PrefixEnd(keys.BatchPrefix(Segment));
        _next ??= keys.Batch(Segment, from.Revision * Position.IndexLimit);
        var request = Ops.Range(_next, end, PageSize);
        request.Revision = snapshot;
        var page = await context.Etcd.RangeAsync(request, cancellationToken).ConfigureAwait(false);

        if (!_started)
        {
            _started = true;
            var previous = page.Kvs.Count > 0 ? Batch.Parser.ParseFrom(page.Kvs[0].Value).PreviousPosition : segment.Record.LastBatchPosition;
            if (previous >= 0 && previous < from.Revision * Position.IndexLimit)
                await AddBatchAsync(previous, cancellationToken).ConfigureAwait(false);
        }
        foreach (var kv in page.Kvs)
        {
            if (!keys.TryParseBatch(kv.Key.Span, out _, out var position)) continue;
            Add(Batch.Parser.ParseFrom(kv.Value), position, kv.ModRevision);
        }
        if (page.More && page.Kvs.Count > 0) _next = [.. page.Kvs[^1].Key.Span, 0];
        else _exhausted = true;
    }

    private async Task AddBatchAsync(long position, CancellationToken cancellationToken)
    {
        var request = new Etcdserverpb.RangeRequest { Key = Ops.Bytes(context.Keys.Batch(Segment, position)), Revision = snapshot };
        var response = await context.Etcd.RangeAsync(request, cancellationToken).ConfigureAwait(false);
        if (response.Kvs.Count > 0) Add(Batch.Parser.ParseFrom(response.Kvs[0].Value), position, response.Kvs[0].ModRevision);
    }

    private void Add(Batch batch, long position, long revision)
    {
        foreach (var record in batch.Events.OrderBy(e => e.Index))
            if (new Position(revision, record.Index) >= from) _buffered.Enqueue((record, position, revision));
    }
}
