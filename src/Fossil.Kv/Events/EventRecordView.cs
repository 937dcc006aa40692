using System.Text;
using Fossil.Kv.SegmentFiles;
using static Fossil.Kv.Reads.RecordWire;

namespace Fossil.Kv;

/// <summary>
/// One event of a sealed segment read in place: the fields are slices of the record in the memory-mapped
/// <c>documents.dat</c>, so reading allocates and copies nothing. Valid only while the
/// <see cref="SealedSegmentReader"/> it came from is open; copy what you keep (or use
/// <see cref="SealedSegmentReader.Decode"/> for a <see cref="RecordedEvent"/>). The event's vector and
/// entities are not exposed here; <see cref="SealedSegmentReader.Decode"/> has them.
/// </summary>
public readonly ref struct EventRecordView
{
    private readonly ReadOnlySpan<byte> _id;
    private readonly long _timestampMicroseconds;
    private readonly long _commitRevision;

    // The fields that need work to build (the id, the timestamp, the position) are built when asked for: a scan
    // that reads only the stream, the type and the data pays for nothing else.
    private EventRecordView(
        ReadOnlySpan<byte> id, ReadOnlySpan<byte> streamUtf8, long version, ReadOnlySpan<byte> typeUtf8, ReadOnlySpan<byte> data,
        bool isJson, ReadOnlySpan<byte> metadata, long timestampMicroseconds, long segmentPosition, long commitRevision)
    {
        _id = id;
        StreamUtf8 = streamUtf8;
        Version = version;
        TypeUtf8 = typeUtf8;
        Data = data;
        IsJson = isJson;
        Metadata = metadata;
        _timestampMicroseconds = timestampMicroseconds;
        SegmentPosition = segmentPosition;
        _commitRevision = commitRevision;
    }

    /// <summary>The event's id (<see cref="Guid.Empty"/> only if the record has none, which a well-formed segment never holds).</summary>
    public Guid Id => _id.IsEmpty ? Guid.Empty : new Guid(_id, bigEndian: true);

    /// <summary>The stream name as UTF-8 (<see cref="GetStream"/> for a string).</summary>
    public ReadOnlySpan<byte> StreamUtf8 { get; }

    /// <summary>The event's version in its stream (0-based).</summary>
    public long Version { get; }

    /// <summary>The event type as UTF-8 (<see cref="GetEventType"/> for a string).</summary>
    public ReadOnlySpan<byte> TypeUtf8 { get; }

    /// <summary>The payload, in place in the mapped file.</summary>
    public ReadOnlySpan<byte> Data { get; }

    /// <summary>Whether <see cref="Data"/> was appended as JSON rather than binary.</summary>
    public bool IsJson { get; }

    /// <summary>UTF-8 JSON object, or empty for none; in place in the mapped file.</summary>
    public ReadOnlySpan<byte> Metadata { get; }

    /// <summary>As <see cref="RecordedEvent.Timestamp"/>: the writing node's clock at the commit, UTC, microsecond precision.</summary>
    public DateTimeOffset Timestamp => DateTimeOffset.UnixEpoch.AddTicks(_timestampMicroseconds * TimeSpan.TicksPerMicrosecond);

    /// <summary>The event's address in its segment, the same while active and once sealed.</summary>
    public long SegmentPosition { get; }

    /// <summary>The event's global position.</summary>
    public Position Position => new(_commitRevision, (int)(SegmentPosition % Position.IndexLimit));

    /// <summary>The stream name as a new string (allocates; compare <see cref="StreamUtf8"/> to avoid that).</summary>
    public string GetStream() => Encoding.UTF8.GetString(StreamUtf8);

    /// <summary>The event type as a new string (allocates; compare <see cref="TypeUtf8"/> to avoid that).</summary>
    public string GetEventType() => Encoding.UTF8.GetString(TypeUtf8);

    /// <summary>Reads the record of <paramref name="document"/> in place.</summary>
    /// <exception cref="InvalidDataException">The record is not a well-formed event record.</exception>
    public static EventRecordView Read(SegmentDocument document)
    {
        var record = document.Record.Span;
        ReadOnlySpan<byte> id = default, stream = default, type = default, data = default, metadata = default;
        long version = 0, timestamp = 0;
        var isJson = false;
        var at = 0;
        while (at < record.Length)
        {
            var tag = ReadVarint(record, ref at);
            var wire = (int)(tag & 7);
            // Field numbers and wire types as in records.proto (EventRecord); RecordDecoder reads the same fields.
            switch ((int)(tag >> 3), wire)
            {
                case (1, 2):
                    id = ReadLengthDelimited(record, ref at);
                    if (id.Length != 16) throw Malformed($"an event id of {id.Length} bytes");
                    break;
                case (2, 2): stream = ReadLengthDelimited(record, ref at); break;
                case (3, 0): version = (long)ReadVarint(record, ref at); break;
                case (4, 2): type = ReadLengthDelimited(record, ref at); break;
                case (5, 2): data = ReadLengthDelimited(record, ref at); break;
                case (6, 0): isJson = ReadVarint(record, ref at) != 0; break;
                case (7, 2): metadata = ReadLengthDelimited(record, ref at); break;
                case (8, 0): timestamp = (long)ReadVarint(record, ref at); break;
                default: Skip(record, ref at, wire); break;
            }
        }
        return new EventRecordView(id, stream, version, type, data, isJson, metadata, timestamp, document.SegmentPosition, document.CommitRevision);
    }
}
