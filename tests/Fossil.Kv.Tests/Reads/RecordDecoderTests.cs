using Fossil.Kv.Reads;
using Fossil.Kv.Records;
using Fossil.Kv.Segments;
using Google.Protobuf;

namespace Fossil.Kv.Tests.Reads;

/// <summary>The hand-written record decoder against the generated protobuf parser, on random records and random bytes.</summary>
public sealed class RecordDecoderTests
{
    private static readonly SegmentId Segment = SegmentId.Parse("20261122T000000Z-p01-g000");

    private static EventRecord RandomRecord(Random random)
    {
        var record = new EventRecord
        {
            Id = ByteString.CopyFrom(Guid.NewGuid().ToByteArray(bigEndian: true)),
            Stream = random.Next(4) == 0 ? "ström/" + new string('x', random.Next(300)) : $"s-{random.Next(5)}",
            Version = random.Next(3) == 0 ? long.MaxValue - random.Next(1000) : random.Next(100_000),
            Type = random.Next(2) == 0 ? "" : $"type-{random.Next(3)}",
            Data = ByteString.CopyFrom(RandomBytes(random, random.Next(0, 600))),
            DataIsJson = random.Next(2) == 0,
            Metadata = ByteString.CopyFrom(RandomBytes(random, random.Next(0, 3) == 0 ? 40 : 0)),
            TimestampUs = random.NextInt64(0, 4_000_000_000_000_000),
            Index = random.Next(Position.IndexLimit),
        };
        if (random.Next(3) == 0) record.Vector.AddRange(Enumerable.Range(0, random.Next(1, 70)).Select(_ => (float)(random.NextDouble() * 2 - 1)));
        if (random.Next(3) == 0) record.Entities.AddRange(Enumerable.Range(0, random.Next(1, 5)).Select(i => $"entity-{i}-ü"));
        return record;
    }

    private static byte[] RandomBytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }

    [Fact]
    public void decodes_every_field_exactly_as_the_generated_parser_does()
    {
        var random = new Random(20261122);
        var decoder = new RecordDecoder();
        for (var i = 0; i < 2000; i++)
        {
            var record = RandomRecord(random);
            var bytes = record.ToByteArray();
            var batchPosition = random.NextInt64(1, long.MaxValue / Position.IndexLimit) * Position.IndexLimit;
            var revision = random.NextInt64(1, long.MaxValue);

            var expected = EventDecoding.ToRecordedEvent(EventRecord.Parser.ParseFrom(bytes), Segment, batchPosition, revision);
            var actual = decoder.Decode(bytes, Segment.ToString(), batchPosition, revision);

            Assert.Equal(expected.Id, actual.Id);
            Assert.Equal(expected.Stream, actual.Stream);
            Assert.Equal(expected.Version, actual.Version);
            Assert.Equal(expected.Type, actual.Type);
            Assert.Equal(expected.Data.ToArray(), actual.Data.ToArray());
            Assert.Equal(expected.IsJson, actual.IsJson);
            Assert.Equal(expected.Metadata.ToArray(), actual.Metadata.ToArray());
            Assert.Equal(expected.Timestamp, actual.Timestamp);
            Assert.Equal(expected.Position, actual.Position);
            Assert.Equal(expected.Segment, actual.Segment);
            Assert.Equal(expected.SegmentPosition, actual.SegmentPosition);
            Assert.Equal(expected.Entities, actual.Entities);
            Assert.Equal(expected.Vector, actual.Vector);
        }
    }

    [Fact]
    public void the_in_place_view_reads_the_same_fields_as_the_generated_parser()
    {
        var random = new Random(20261206);
        for (var i = 0; i < 2000; i++)
        {
            var record = RandomRecord(random);
            var segmentPosition = random.NextInt64(1, long.MaxValue / Position.IndexLimit) * Position.IndexLimit + record.Index;
            var revision = random.NextInt64(1, long.MaxValue);
            var expected = EventDecoding.ToRecordedEvent(record, Segment, segmentPosition, revision);

            var view = EventRecordView.Read(new Fossil.Kv.SegmentFiles.SegmentDocument(i, segmentPosition, revision, record.ToByteArray()));

            Assert.Equal(expected.Id, view.Id);
            Assert.Equal(expected.Stream, view.GetStream());
            Assert.Equal(expected.Version, view.Version);
            Assert.Equal(expected.Type, view.GetEventType());
            Assert.True(expected.Data.Span.SequenceEqual(view.Data));
            Assert.Equal(expected.IsJson, view.IsJson);
            Assert.True(expected.Metadata.Span.SequenceEqual(view.Metadata));
            Assert.Equal(expected.Timestamp, view.Timestamp);
            Assert.Equal(expected.Position, view.Position);
            Assert.Equal(expected.SegmentPosition, view.SegmentPosition);
        }
    }

    [Fact]
    public void repeated_stream_names_and_types_come_back_as_one_string()
    {
        var decoder = new RecordDecoder();
        var record = new EventRecord { Id = ByteString.CopyFrom(new byte[16]), Stream = "orders-1", Type = "placed" }.ToByteArray();

        var first = decoder.Decode(record, "s", 0, 1);
        var second = decoder.Decode(record, "s", 0, 1);

        Assert.Same(first.Stream, second.Stream);
        Assert.Same(first.Type, second.Type);
    }

    [Fact]
    public void skips_fields_it_does_not_know()
    {
        var record = new EventRecord { Id = ByteString.CopyFrom(Guid.NewGuid().ToByteArray(bigEndian: true)), Stream = "a", Version = 7 };
        using var stream = new MemoryStream();
        var output = new CodedOutputStream(stream);
        record.WriteTo(output);
        output.WriteTag(99, WireFormat.WireType.LengthDelimited);
        output.WriteBytes(ByteString.CopyFromUtf8("from a newer writer"));
        output.WriteTag(100, WireFormat.WireType.Fixed64);
        output.WriteFixed64(42);
        output.Flush();

        var decoded = new RecordDecoder().Decode(stream.ToArray(), "s", 0, 1);

        Assert.Equal(("a", 7L), (decoded.Stream, decoded.Version));
    }

    [Fact]
    public void random_and_truncated_bytes_decode_or_fail_with_invalid_data_never_otherwise()
    {
        var random = new Random(7);
        var decoder = new RecordDecoder();
        var failures = 0;
        var viewFailures = 0;
        for (var i = 0; i < 5000; i++)
        {
            byte[] bytes;
            if (i % 2 == 0)
            {
                bytes = RandomBytes(random, random.Next(0, 64));
            }
            else
            {
                var whole = RandomRecord(random).ToByteArray();
                bytes = whole[..random.Next(whole.Length)];
            }
            try
            {
                decoder.Decode(bytes, "s", 0, 1);
            }
            catch (InvalidDataException)
            {
                failures++;
            }
            try
            {
                _ = EventRecordView.Read(new Fossil.Kv.SegmentFiles.SegmentDocument(0, 1, 1, bytes));
            }
            catch (InvalidDataException)
            {
                viewFailures++;
            }
        }
        Assert.True(failures > 0, "some inputs were malformed");
        Assert.True(viewFailures > 0, "some inputs were malformed for the in-place view");
    }
}
