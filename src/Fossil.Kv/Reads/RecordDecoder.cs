using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using static Fossil.Kv.Reads.RecordWire;

namespace Fossil.Kv.Reads;

/// <summary>
/// Decodes stored <c>EventRecord</c> bytes (records.proto) straight into <see cref="RecordedEvent"/>s, without
/// the intermediate protobuf objects: no <c>EventRecord</c>, no <c>ByteString</c> copies, and stream names and
/// event types — which repeat from one event to the next — looked up in a small per-reader table instead of
/// allocated per event. Reading sealed segments is bound by this decoding, not by I/O.
/// </summary>
/// <remarks>
/// One decoder per reader; not thread-safe. Field numbers and wire types must match records.proto
/// (tests check this decoder against the generated parser on random records).
/// </remarks>
[System.Runtime.CompilerServices.SkipLocalsInit] // the stack buffer for interned names is written before it is read
internal sealed class RecordDecoder
{
    private const int MaxInterned = 4096;
    private const int MaxInternedLength = 256;

    private readonly Dictionary<string, string> _strings = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> _lookup;

    public RecordDecoder() => _lookup = _strings.GetAlternateLookup<ReadOnlySpan<char>>();

    /// <param name="record">The record's bytes.</param>
    /// <param name="segment">The segment's id as text (one string for all its events).</param>
    /// <param name="batchPosition">The key position of the record's batch (base × 4096 + first index).</param>
    /// <param name="commitRevision">The revision that committed the batch.</param>
    /// <exception cref="InvalidDataException">The bytes are not a well-formed record.</exception>
    public RecordedEvent Decode(ReadOnlySpan<byte> record, string segment, long batchPosition, long commitRevision)
    {
        Guid id = default;
        string stream = "", type = "";
        long version = 0, timestampUs = 0;
        var isJson = false;
        var index = 0;
        byte[] data = [], metadata = [];
        float[]? vector = null;
        List<string>? entities = null;
        var at = 0;
        while (at < record.Length)
        {
            var tag = ReadVarint(record, ref at);
            var field = (int)(tag >> 3);
            var wire = (int)(tag & 7);
            switch (field, wire)
            {
                case (1, 2):
                    var idBytes = ReadLengthDelimited(record, ref at);
                    if (idBytes.Length != 16) throw Malformed($"an event id of {idBytes.Length} bytes");
                    id = new Guid(idBytes, bigEndian: true);
                    break;
                case (2, 2): stream = Intern(ReadLengthDelimited(record, ref at)); break;
                case (3, 0): version = (long)ReadVarint(record, ref at); break;
                case (4, 2): type = Intern(ReadLengthDelimited(record, ref at)); break;
                case (5, 2): data = ReadLengthDelimited(record, ref at).ToArray(); break;
                case (6, 0): isJson = ReadVarint(record, ref at) != 0; break;
                case (7, 2): metadata = ReadLengthDelimited(record, ref at).ToArray(); break;
                case (8, 0): timestampUs = (long)ReadVarint(record, ref at); break;
                case (9, 2):
                    var packed = ReadLengthDelimited(record, ref at);
                    if (packed.Length % 4 != 0) throw Malformed("a vector whose length is not a multiple of 4 bytes");
                    vector = Append(vector, packed);
                    break;
                case (9, 5):
                    vector = Append(vector, Take(record, ref at, 4));
                    break;
                case (10, 2): (entities ??= []).Add(Encoding.UTF8.GetString(ReadLengthDelimited(record, ref at))); break;
                case (11, 0): index = (int)ReadVarint(record, ref at); break;
                default: Skip(record, ref at, wire); break;
            }
        }
        return new RecordedEvent
        {
            Id = id,
            Stream = stream,
            Version = version,
            Type = type,
            Data = data,
            IsJson = isJson,
            Metadata = metadata,
            Timestamp = DateTimeOffset.UnixEpoch.AddTicks(timestampUs * TimeSpan.TicksPerMicrosecond),
            Position = new Position(commitRevision, index),
            Segment = segment,
            SegmentPosition = batchPosition - batchPosition % Position.IndexLimit + index,
            Entities = entities is null ? [] : entities,
            Vector = vector,
        };
    }

    /// <summary>
    /// Decodes every record of a stored <c>Batch</c> (records.proto: its field 2), in stored order, into
    /// <paramref name="into"/>, each with its record's bytes (a slice of <paramref name="batch"/>).
    /// </summary>
    /// <exception cref="InvalidDataException">The bytes are not a well-formed batch.</exception>
    public void DecodeBatch(
        ReadOnlyMemory<byte> batch, string segment, long batchPosition, long commitRevision, ICollection<(RecordedEvent Event, ReadOnlyMemory<byte> Record)> into)
    {
        var span = batch.Span;
        var at = 0;
        while (at < span.Length)
        {
            var tag = ReadVarint(span, ref at);
            if (tag != (2 << 3 | 2))
            {
                Skip(span, ref at, (int)(tag & 7));
                continue;
            }
            var record = ReadLengthDelimited(span, ref at);
            into.Add((Decode(record, segment, batchPosition, commitRevision), batch.Slice(at - record.Length, record.Length)));
        }
    }

    /// <summary>The same string for the same bytes while the table has room: stream names and types repeat.</summary>
    private string Intern(ReadOnlySpan<byte> utf8)
    {
        if (utf8.Length == 0) return "";
        if (utf8.Length > MaxInternedLength) return Encoding.UTF8.GetString(utf8);
        Span<char> chars = stackalloc char[MaxInternedLength];
        var length = Encoding.UTF8.GetChars(utf8, chars);
        if (_lookup.TryGetValue(chars[..length], out var known)) return known;
        var text = new string(chars[..length]);
        if (_strings.Count >= MaxInterned) _strings.Clear();
        _strings[text] = text;
        return text;
    }

    private static float[] Append(float[]? vector, ReadOnlySpan<byte> littleEndian)
    {
        var start = vector?.Length ?? 0;
        var result = new float[start + littleEndian.Length / 4];
        vector?.CopyTo(result, 0);
        if (BitConverter.IsLittleEndian) MemoryMarshal.Cast<byte, float>(littleEndian).CopyTo(result.AsSpan(start));
        else for (var i = 0; i < littleEndian.Length / 4; i++) result[start + i] = BinaryPrimitives.ReadSingleLittleEndian(littleEndian[(4 * i)..]);
        return result;
    }
}
