using Fossil.Kv.Records;
using Fossil.Kv.SegmentFiles;
using Fossil.Kv.Segments;

namespace Fossil.Kv.Reads;

/// <summary>One segment's events in commit order from a start position, wherever they are kept.</summary>
internal interface ISegmentLog
{
    SegmentId Segment { get; }

    ValueTask<(EventRecord Record, long BatchPosition, long Revision)?> PeekAsync(CancellationToken cancellationToken);

    void Advance();
}

/// <summary>A sealed segment's events from its local memory-mapped files.</summary>
internal sealed class FileSegmentLog(SegmentId segment, SegmentFileSet files, Position from) : ISegmentLog
{
    private int _ordinal = files.FindOrdinal(from);
    private (EventRecord Record, long BatchPosition, long Revision)? _current;

    public SegmentId Segment { get; } = segment;

    public ValueTask<(EventRecord Record, long BatchPosition, long Revision)?> PeekAsync(CancellationToken cancellationToken)
    {
        if (_current is null && _ordinal < files.Count)
        {
            var document = files.Get(_ordinal);
            _current = (EventRecord.Parser.ParseFrom(document.Record.Span), document.SegmentPosition, document.CommitRevision);
        }
        return ValueTask.FromResult(_current);
    }

    public void Advance()
    {
        _current = null;
        _ordinal++;
    }
}
