using Fossil.Kv.SegmentFiles;
using Fossil.Kv.Segments;

namespace Fossil.Kv.Reads;

/// <summary>One segment's events in commit order from a start position, wherever they are kept.</summary>
internal interface ISegmentLog
{
    SegmentId Segment { get; }

    /// <summary>The next event, or null at the segment's end.</summary>
    ValueTask<RecordedEvent?> PeekAsync(CancellationToken cancellationToken);

    void Advance();
}

/// <summary>A sealed segment's events from its local memory-mapped files, decoded in place as they are read.</summary>
internal sealed class FileSegmentLog(SegmentId segment, SegmentFileSet files, Position from) : ISegmentLog
{
    private readonly RecordDecoder _decoder = new();
    private readonly string _segmentName = segment.ToString();
    private int _ordinal = files.FindOrdinal(from);
    private RecordedEvent? _current;

    public SegmentId Segment { get; } = segment;

    public ValueTask<RecordedEvent?> PeekAsync(CancellationToken cancellationToken)
    {
        if (_current is null && _ordinal < files.Count)
        {
            var document = files.Get(_ordinal);
            _current = _decoder.Decode(document.Record.Span, _segmentName, document.SegmentPosition, document.CommitRevision);
        }
        return ValueTask.FromResult(_current);
    }

    public void Advance()
    {
        _current = null;
        _ordinal++;
    }
}
