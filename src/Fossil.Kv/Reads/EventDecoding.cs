using Fossil.Kv.Records;
using Fossil.Kv.Segments;

namespace Fossil.Kv.Reads;

/// <summary>Turns stored records into <see cref="RecordedEvent"/>s, with the positions their storage gives them.</summary>
internal static class EventDecoding
{
    /// <param name="record">The stored event.</param>
    /// <param name="segment">The segment holding its batch.</param>
    /// <param name="batchPosition">The key position of its batch (base × 4096 + first index).</param>
    /// <param name="commitRevision">The revision that committed the batch.</param>
    public static RecordedEvent ToRecordedEvent(EventRecord record, SegmentId segment, long batchPosition, long commitRevision) => new()
    {
        Id = new Guid(record.Id.Span, bigEndian: true),
        Stream = record.Stream,
        Version = record.Version,
        Type = record.Type,
        Data = record.Data.Memory,
        IsJson = record.DataIsJson,
        Metadata = record.Metadata.Memory,
        Timestamp = DateTimeOffset.UnixEpoch.AddTicks(record.TimestampUs * TimeSpan.TicksPerMicrosecond),
        Position = new Position(commitRevision, record.Index),
        Segment = segment.ToString(),
        SegmentPosition = batchPosition - batchPosition % Position.IndexLimit + record.Index,
        Entities = record.Entities.Count == 0 ? [] : [.. record.Entities],
        Vector = record.Vector.Count == 0 ? null : [.. record.Vector],
    };
}
