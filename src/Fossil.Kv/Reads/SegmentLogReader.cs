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
    private readonly Queue<(RecordedEvent Event, ReadOnlyMemory<byte> Record)> _buffered = new();
    private readonly List<(RecordedEvent Event, ReadOnlyMemory<byte> Record)> _decoded = [];
    private readonly RecordDecoder _decoder = new();
    private readonly string _segmentName = segment.Record.Id.ToString();
    private byte[]? _next;
    private bool _started;
    private bool _exhausted;

    public SegmentId Segment { get; } = segment.Record.Id;

    /// <summary>The next event at or after the start position, or null at the segment's end (as of the snapshot).</summary>
    public async ValueTask<RecordedEvent?> PeekAsync(CancellationToken cancellationToken)
    {
        while (_buffered.Count == 0 && !_exhausted) await FillAsync(cancellationToken).ConfigureAwait(false);
        return _buffered.Count > 0 ? _buffered.Peek().Event : null;
    }

    /// <summary>The stored bytes of the event <see cref="PeekAsync"/> returned last, as materialization copies them into files.</summary>
    public ReadOnlyMemory<byte> PeekedRecord => _buffered.Peek().Record;

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
            Add(kv.Value.Memory, position, kv.ModRevision);
        }
        if (page.More && page.Kvs.Count > 0) _next = [.. page.Kvs[^1].Key.Span, 0];
        else _exhausted = true;
    }

    private async Task AddBatchAsync(long position, CancellationToken cancellationToken)
    {
        var request = new Etcdserverpb.RangeRequest { Key = Ops.Bytes(context.Keys.Batch(Segment, position)), Revision = snapshot };
        var response = await context.Etcd.RangeAsync(request, cancellationToken).ConfigureAwait(false);
        if (response.Kvs.Count > 0) Add(response.Kvs[0].Value.Memory, position, response.Kvs[0].ModRevision);
    }

    private void Add(ReadOnlyMemory<byte> batch, long position, long revision)
    {
        _decoded.Clear();
        _decoder.DecodeBatch(batch, _segmentName, position, revision, _decoded);
        // Written in index order; sorting keeps a reader correct should a writer ever not.
        _decoded.Sort(static (a, b) => a.Event.Position.CompareTo(b.Event.Position));
        foreach (var decoded in _decoded)
            if (decoded.Event.Position >= from) _buffered.Enqueue(decoded);
    }
}
