using Fossil.Kv.Records;
using Fossil.Kv.SegmentFiles;
using Fossil.Kv.Segments;
using Fossil.Kv.Vectors;
using Google.Protobuf;

namespace Fossil.Kv.Tests.SegmentFiles;

/// <summary>One generated event as the writer was given it.</summary>
internal sealed record WrittenEvent(EventRecord Record, byte[] Bytes, long SegmentPosition, long CommitRevision)
{
    public Position Position => new(CommitRevision, Record.Index);
}

/// <summary>A directory under the temp folder, deleted with everything in it.</summary>
internal sealed class TempDirectory : IDisposable
{
    public TempDirectory([System.Runtime.CompilerServices.CallerMemberName] string name = "")
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "fossil-segfiles", name + "-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string Combine(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }
}

/// <summary>Generates segments of events: multi-event batches, several streams (incl. 'a' and 'a/b'), entities, vectors, empty and large data.</summary>
internal static class SegmentFixture
{
    public const int Dimension = 8;

    public static readonly string[] Streams = ["a", "a/b", "orders-€", "x%2F", "z"];
    public static readonly string[] Entities = ["alice", "bob", "carol", "dave", "émile", "frank", "g", "h/i", "ACME", "zed"];

    public static SegmentFileOptions Options(int dimension = Dimension, VectorMetric metric = VectorMetric.L2) => new()
    {
        SegmentId = "20261122T000000Z-p03-g000",
        Partition = 3,
        TimeRange = new TimeRange(new DateTime(2026, 11, 22, 0, 0, 0, DateTimeKind.Utc), new DateTime(2026, 11, 23, 0, 0, 0, DateTimeKind.Utc)),
        CreatedAt = new DateTime(2026, 11, 22, 0, 0, 1, DateTimeKind.Utc),
        SealedAt = new DateTime(2026, 11, 23, 0, 0, 1, DateTimeKind.Utc),
        VectorDimension = dimension,
        VectorMetric = metric,
        Hnsw = new HnswParameters(M: 8, EfConstruction: 64),
    };

    public static List<WrittenEvent> Generate(int seed, int events, int dimension = Dimension, bool largeEvent = true)
    {
        var random = new Random(seed);
        var versions = new Dictionary<string, long>();
        var result = new List<WrittenEvent>(events);
        long revision = 100;
        while (result.Count < events)
        {
            revision += random.Next(1, 4);
            var @base = revision - 1; // the segment record's revision the batch compared against
            var batch = Math.Min(events - result.Count, random.Next(1, 6));
            var first = random.Next(0, 3);
            for (var i = first; i < first + batch; i++)
            {
                var stream = Streams[random.Next(Streams.Length)];
                var version = versions.GetValueOrDefault(stream, random.Next(0, 3) == 0 ? 40 : 0);
                versions[stream] = version + 1;
                var data = new byte[largeEvent && result.Count == events / 2 ? 100 * 1024 : random.Next(0, 3) == 0 ? 0 : random.Next(1, 300)];
                random.NextBytes(data);
                var record = new EventRecord
                {
                    Id = ByteString.CopyFrom(Guid.NewGuid().ToByteArray(bigEndian: true)),
                    Stream = stream,
                    Version = version,
                    Type = "type-" + random.Next(3),
                    Data = ByteString.CopyFrom(data),
                    DataIsJson = false,
                    TimestampUs = 1_700_000_000_000_000 + result.Count,
                    Index = i,
                };
                var entityCount = random.Next(0, 4);
                for (var e = 0; e < entityCount; e++)
                    record.Entities.Add(Entities[random.Next(Entities.Length)]);
                if (dimension > 0 && random.Next(0, 10) < 7)
                {
                    for (var d = 0; d < dimension; d++)
                        record.Vector.Add((float)(random.NextDouble() * 2 - 1));
                }
                result.Add(new WrittenEvent(record, record.ToByteArray(), (@base * 4096) + i, revision));
            }
        }
        return result;
    }

    /// <summary>Writes <paramref name="events"/> into a temp dir under <paramref name="root"/>, publishes it as &lt;root&gt;/segment, returns that.</summary>
    public static string Write(TempDirectory root, IReadOnlyList<WrittenEvent> events, SegmentFileOptions? options = null)
    {
        var temp = root.Combine("segment.tmp-" + Guid.NewGuid().ToString("N")[..6]);
        var final = root.Combine("segment");
        using (var writer = new SegmentFileWriter(temp, options ?? Options()))
        {
            for (var i = 0; i < events.Count; i++)
            {
                var e = events[i];
                if (i % 2 == 0)
                    writer.Append(e.Bytes, e.SegmentPosition, e.CommitRevision);
                else
                    writer.Append(e.Record, e.SegmentPosition, e.CommitRevision);
            }
            writer.Complete();
        }
        SegmentFileWriter.Publish(temp, final);
        return final;
    }
}
