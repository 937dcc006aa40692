using Fossil.Kv.Records;
using Fossil.Kv.SegmentFiles;
using Fossil.Kv.Vectors;
using Google.Protobuf;

namespace Fossil.Kv.Tests.SegmentFiles;

public sealed class SegmentFileRoundTripTests
{
    private static void AssertSame(WrittenEvent expected, SegmentDocument actual)
    {
        Assert.Equal(expected.SegmentPosition, actual.SegmentPosition);
        Assert.Equal(expected.CommitRevision, actual.CommitRevision);
        Assert.Equal(expected.Record.Index, actual.Index);
        Assert.Equal(expected.Position, actual.Position);
        Assert.True(expected.Bytes.AsSpan().SequenceEqual(actual.Record.Span));
    }

    [Fact]
    public void every_event_reads_back_in_order_with_its_positions_and_bytes()
    {
        using var root = new TempDirectory();
        var events = SegmentFixture.Generate(seed: 1, events: 400);
        var dir = SegmentFixture.Write(root, events);
        using var set = SegmentFileSet.Open(dir, populate: true);

        Assert.Equal(events.Count, set.Count);
        Assert.Equal(events.Count, set.ReadAll().Count);
        var i = 0;
        foreach (var doc in set.ReadAll())
        {
            Assert.Equal(i, doc.Ordinal);
            AssertSame(events[i], doc);
            Assert.Equal(events[i].Record, EventRecord.Parser.ParseFrom(doc.Record.Span));
            i++;
        }
        Assert.Equal(events.Count, i);
        Assert.Contains(events, e => e.Record.Data.Length == 100 * 1024);
        Assert.Contains(events, e => e.Record.Data.Length == 0);
    }

    [Fact]
    public void a_lease_keeps_the_mapping_readable_after_dispose_until_it_ends()
    {
        using var root = new TempDirectory();
        var events = SegmentFixture.Generate(seed: 2, events: 50);
        var set = SegmentFileSet.Open(SegmentFixture.Write(root, events), populate: false);

        Assert.True(set.TryAcquireLease());
        set.Dispose();
        Assert.False(set.TryAcquireLease());
        AssertSame(events[49], set.Get(49));
        set.ReleaseLease();

        Assert.Throws<ObjectDisposedException>(() => set.Get(0));
    }

    [Fact]
    public async Task leases_taken_and_ended_on_many_threads_while_the_set_is_disposed_never_read_unmapped_memory()
    {
        using var root = new TempDirectory();
        var events = SegmentFixture.Generate(seed: 3, events: 64, largeEvent: false);
        var directory = SegmentFixture.Write(root, events);
        for (var round = 0; round < 20; round++)
        {
            var set = SegmentFileSet.Open(directory, populate: false, verify: false);
            using var start = new Barrier(5);
            var readers = Enumerable.Range(0, 4).Select(t => Task.Run(() =>
            {
                start.SignalAndWait();
                var leased = 0;
                for (var i = 0; i < 2000; i++)
                {
                    if (!set.TryAcquireLease()) break;
                    // Under a lease the maps are there, whatever the owner did meanwhile.
                    AssertSame(events[(t + i) % events.Count], set.Get((t + i) % events.Count));
                    set.ReleaseLease();
                    leased++;
                }
                return leased;
            })).ToArray();
            start.SignalAndWait();
            set.Dispose();
            await Task.WhenAll(readers);

            Assert.False(set.TryAcquireLease());
            Assert.Throws<ObjectDisposedException>(() => set.Get(0));
        }
    }

    [Fact]
    public void meta_json_describes_the_segment()
    {
        using var root = new TempDirectory();
        var events = SegmentFixture.Generate(seed: 2, events: 120);
        var dir = SegmentFixture.Write(root, events);
        using var set = SegmentFileSet.Open(dir, populate: false);
        var meta = set.Meta;

        Assert.Equal("20261122T000000Z-p03-g000", meta.SegmentId);
        Assert.Equal(3, meta.Partition);
        Assert.Equal(Fossil.Kv.Segments.SegmentStatus.Sealed, meta.Status);
        Assert.Equal(events.Count, meta.DocumentCount);
        Assert.Equal(events.SelectMany(e => e.Record.Entities).Distinct().Count(), meta.EntityCount);
        Assert.Equal(events.Select(e => e.Record.Stream).Distinct().Count(), meta.StreamCount);
        Assert.Equal(events.Count(e => e.Record.Vector.Count > 0), meta.VectorCount);
        Assert.Equal(events[0].CommitRevision, meta.FirstRevision);
        Assert.Equal(events[^1].CommitRevision, meta.LastRevision);
        Assert.Equal(events[0].SegmentPosition, meta.FirstPosition);
        Assert.Equal(events[^1].SegmentPosition, meta.LastPosition);
        var sizes = SegmentFileNames.DataFiles.Sum(name => new FileInfo(Path.Combine(dir, name)).Length);
        Assert.Equal(sizes, meta.SizeBytes);

        var json = File.ReadAllText(Path.Combine(dir, SegmentFileNames.Meta));
        foreach (var field in (string[])["\"segment_id\"", "\"time_range\"", "\"document_count\"", "\"entity_count\"", "\"vector_count\"", "\"size_bytes\"", "\"created_at\"", "\"sealed_at\"", "\"status\": \"sealed\"", "\"checksum\""])
            Assert.Contains(field, json, StringComparison.Ordinal);
    }

    [Fact]
    public void get_by_segment_position_finds_each_event_and_nothing_between()
    {
        using var root = new TempDirectory();
        var events = SegmentFixture.Generate(seed: 3, events: 200);
        using var set = SegmentFileSet.Open(SegmentFixture.Write(root, events), populate: false);

        var positions = events.Select(e => e.SegmentPosition).ToHashSet();
        foreach (var e in events)
        {
            Assert.True(set.TryGet(e.SegmentPosition, out var doc));
            AssertSame(e, doc);
            if (!positions.Contains(e.SegmentPosition + 1))
                Assert.False(set.TryGet(e.SegmentPosition + 1, out _));
        }
        Assert.False(set.TryGet(0, out _));
        Assert.False(set.TryGet(long.MaxValue, out _));
    }

    [Fact]
    public void reading_from_a_position_starts_at_the_first_event_at_or_after_it()
    {
        using var root = new TempDirectory();
        var events = SegmentFixture.Generate(seed: 4, events: 200);
        using var set = SegmentFileSet.Open(SegmentFixture.Write(root, events), populate: false);

        for (var i = 0; i < events.Count; i++)
        {
            var e = events[i];
            Assert.Equal(i, set.FindOrdinal(e.Position));
            Assert.Equal(i, set.FindOrdinal(e.SegmentPosition));
            var expectedAfter = events.FindIndex(x => x.Position > e.Position);
            Assert.Equal(expectedAfter < 0 ? events.Count : expectedAfter, set.FindOrdinal(new Position(e.CommitRevision, e.Record.Index + 1)));
            // A revision between batches starts at the next batch.
            var nextRevision = events.FindIndex(x => x.CommitRevision >= e.CommitRevision + 1);
            Assert.Equal(nextRevision < 0 ? events.Count : nextRevision, set.FindOrdinal(new Position(e.CommitRevision + 1, 0)));

            using var from = set.ReadFrom(e.Position).GetEnumerator();
            Assert.True(from.MoveNext());
            AssertSame(e, from.Current);
            Assert.Equal(events.Count - i, set.ReadFrom(e.Position).Count);
            Assert.Equal(events.Count - i, set.ReadFrom(e.SegmentPosition).Count);
        }
        Assert.Equal(0, set.FindOrdinal(Position.Start));
        Assert.Equal(events.Count, set.ReadFrom(Position.Start).Count);
        Assert.Equal(0, set.ReadFrom(new Position(events[^1].CommitRevision + 1, 0)).Count);
        Assert.Empty(set.ReadFrom(long.MaxValue));
    }

    [Fact]
    public void stream_reads_go_forwards_and_backwards_from_a_version()
    {
        using var root = new TempDirectory();
        var events = SegmentFixture.Generate(seed: 5, events: 300);
        using var set = SegmentFileSet.Open(SegmentFixture.Write(root, events), populate: false);

        var streams = set.GetStreams();
        Assert.Equal(events.Select(e => e.Record.Stream).Distinct().Order(StringComparer.Ordinal).ToArray(), streams.Select(s => s.Stream).ToArray());
        foreach (var stream in SegmentFixture.Streams.Append("missing").Append("a/"))
        {
            var expected = events.Where(e => e.Record.Stream == stream).ToList();
            if (expected.Count == 0)
            {
                Assert.False(set.TryGetStream(stream, out _, out _));
                Assert.Empty(set.ReadStream(stream, 0));
                Assert.Empty(set.ReadStream(stream, long.MaxValue, Direction.Backwards));
                continue;
            }
            var first = expected[0].Record.Version;
            var last = expected[^1].Record.Version;
            Assert.True(set.TryGetStream(stream, out var firstVersion, out var lastVersion));
            Assert.Equal((first, last), (firstVersion, lastVersion));
            Assert.Contains(new SegmentStreamInfo(stream, first, last, expected.Count), streams);

            for (var from = Math.Max(0, first - 2); from <= last + 2; from++)
            {
                var forwards = expected.Where(e => e.Record.Version >= from).ToList();
                var backwards = expected.Where(e => e.Record.Version <= from).Reverse().ToList();
                Assert.Equal(forwards.Select(e => e.SegmentPosition), set.ReadStream(stream, from).Select(d => d.SegmentPosition));
                Assert.Equal(backwards.Select(e => e.SegmentPosition), set.ReadStream(stream, from, Direction.Backwards).Select(d => d.SegmentPosition));
                foreach (var doc in set.ReadStream(stream, from))
                    Assert.Equal(stream, EventRecord.Parser.ParseFrom(doc.Record.Span).Stream);
            }
            Assert.Equal(expected.Count, set.ReadStream(stream, long.MaxValue, Direction.Backwards).Count);
        }
    }

    [Fact]
    public void entity_postings_and_co_occurrence_counts_are_exact()
    {
        using var root = new TempDirectory();
        var events = SegmentFixture.Generate(seed: 6, events: 300);
        using var set = SegmentFileSet.Open(SegmentFixture.Write(root, events), populate: false);

        var mentions = new Dictionary<string, List<long>>();
        var pairs = new Dictionary<(string, string), long>();
        foreach (var e in events)
        {
            var distinct = e.Record.Entities.Distinct().Order(StringComparer.Ordinal).ToList();
            foreach (var name in distinct)
                (mentions.TryGetValue(name, out var list) ? list : mentions[name] = []).Add(e.SegmentPosition);
            for (var i = 0; i < distinct.Count; i++)
            {
                for (var j = i + 1; j < distinct.Count; j++)
                    pairs[(distinct[i], distinct[j])] = pairs.GetValueOrDefault((distinct[i], distinct[j])) + 1;
            }
        }

        Assert.Equal(mentions.Count, set.EntityCount);
        var listed = set.GetEntities();
        Assert.Equal(mentions.Keys.Order(StringComparer.Ordinal), listed.Select(e => e.Entity));
        foreach (var (name, positions) in mentions)
        {
            Assert.Equal(positions, set.ReadEntity(name).Select(d => d.SegmentPosition));
            var related = pairs.Where(p => p.Key.Item1 == name || p.Key.Item2 == name)
                .Select(p => (Other: p.Key.Item1 == name ? p.Key.Item2 : p.Key.Item1, Count: p.Value))
                .OrderBy(p => p.Other, StringComparer.Ordinal).ToList();
            Assert.Equal(related, set.GetRelatedEntities(name).Select(r => (r.Other, r.Count)));
            Assert.Contains(new SegmentEntityInfo(name, positions.Count, related.Count), listed);
        }
        Assert.Empty(set.ReadEntity("nobody"));
        Assert.Empty(set.GetRelatedEntities("nobody"));
        Assert.Empty(set.ReadEntity("a")); // a stream, not an entity

        var all = set.GetCoOccurrences();
        Assert.Equal(pairs.Count, all.Count);
        foreach (var pair in all)
        {
            Assert.True(string.CompareOrdinal(pair.Entity, pair.Other) < 0);
            Assert.Equal(pairs[(pair.Entity, pair.Other)], pair.Count);
        }
    }

    [Fact]
    public void entities_without_co_occurrences_sit_between_those_with_them()
    {
        using var root = new TempDirectory();
        var events = SegmentFixture.Generate(seed: 11, events: 5, largeEvent: false);
        string[][] mentions = [["b"], ["a", "c", "a"], ["d"], ["c", "e"], []];
        for (var i = 0; i < events.Count; i++)
        {
            events[i].Record.Entities.Clear();
            events[i].Record.Entities.Add(mentions[i]);
            events[i] = events[i] with { Bytes = Google.Protobuf.MessageExtensions.ToByteArray(events[i].Record) };
        }
        using var set = SegmentFileSet.Open(SegmentFixture.Write(root, events), populate: false);

        Assert.Equal(["a", "b", "c", "d", "e"], set.GetEntities().Select(e => e.Entity));
        Assert.Empty(set.GetRelatedEntities("b"));
        Assert.Empty(set.GetRelatedEntities("d"));
        Assert.Equal([("c", 1L)], set.GetRelatedEntities("a").Select(r => (r.Other, r.Count)));
        Assert.Equal([("a", 1L), ("e", 1L)], set.GetRelatedEntities("c").Select(r => (r.Other, r.Count)));
        Assert.Equal([("a", "c", 1L), ("c", "e", 1L)], set.GetCoOccurrences().Select(p => (p.Entity, p.Other, p.Count)));
        Assert.Equal([events[1].SegmentPosition], set.ReadEntity("a").Select(d => d.SegmentPosition));
    }

    [Fact]
    public void vectors_are_searchable_and_labelled_by_segment_position()
    {
        using var root = new TempDirectory();
        var events = SegmentFixture.Generate(seed: 7, events: 250);
        using var set = SegmentFileSet.Open(SegmentFixture.Write(root, events), populate: true);

        var withVectors = events.Where(e => e.Record.Vector.Count > 0).ToList();
        Assert.NotNull(set.Vectors);
        Assert.Equal(withVectors.Count, set.Vectors.Count);
        Assert.Equal(SegmentFixture.Dimension, set.Vectors.Dimension);
        var found = 0;
        foreach (var e in withVectors)
        {
            var hits = set.Vectors.Search(e.Record.Vector.ToArray(), k: 1, ef: 200);
            if (hits[0].Label == e.SegmentPosition && hits[0].Distance < 1e-5f)
                found++;
        }
        Assert.True(found >= withVectors.Count * 0.98, $"{found} of {withVectors.Count} vectors find themselves");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(SegmentFixture.Dimension)]
    public void an_empty_segment_writes_and_opens(int dimension)
    {
        using var root = new TempDirectory();
        var dir = SegmentFixture.Write(root, [], SegmentFixture.Options(dimension));
        Assert.True(SegmentFileSet.TryVerify(dir, out var problem), problem?.Message);
        using var set = SegmentFileSet.Open(dir, populate: true);

        Assert.Equal(0, set.Count);
        Assert.Empty(set.ReadAll());
        Assert.Empty(set.ReadFrom(Position.Start));
        Assert.Equal(0, set.FindOrdinal(new Position(5, 0)));
        Assert.False(set.TryGet(0, out _));
        Assert.Empty(set.ReadStream("a", 0));
        Assert.Empty(set.GetStreams());
        Assert.Empty(set.GetEntities());
        Assert.Empty(set.GetCoOccurrences());
        Assert.Null(set.Vectors);
        Assert.Null(set.Meta.FirstRevision);
        Assert.Equal(dimension, set.Meta.VectorDimension);
    }

    [Fact]
    public void a_vector_the_index_cannot_take_leaves_its_event_in_the_segment_unindexed()
    {
        using var root = new TempDirectory();
        var events = SegmentFixture.Generate(seed: 9, events: 40, largeEvent: false);
        // Taken under older rules (or another metric): all but zero, so cosine cannot normalize it.
        var poisoned = events.First(e => e.Record.Vector.Count > 0);
        for (var d = 0; d < poisoned.Record.Vector.Count; d++) poisoned.Record.Vector[d] = d == 0 ? 1e-30f : 0f;
        events[events.IndexOf(poisoned)] = poisoned with { Bytes = poisoned.Record.ToByteArray() };
        var options = SegmentFixture.Options(metric: VectorMetric.Cosine);

        using var set = SegmentFileSet.Open(SegmentFixture.Write(root, events, options), populate: false);

        Assert.Equal(events.Count, set.Count);
        Assert.Equal(events.Count(e => e.Record.Vector.Count > 0) - 1, set.Meta.VectorCount);
        Assert.Equal(set.Meta.VectorCount, set.Vectors!.Count);
        Assert.DoesNotContain(set.Vectors.Search([1, 0, 0, 0, 0, 0, 0, 0], set.Vectors.Count), m => m.Label == poisoned.SegmentPosition);
        Assert.True(set.TryGet(poisoned.SegmentPosition, out var kept));
        var record = kept.Parse();
        Assert.Equal(poisoned.Record.Id, record.Id);
        Assert.Equal(poisoned.Record.Vector, record.Vector);
    }

    [Fact]
    public void a_store_without_vectors_writes_segments_without_vectors()
    {
        using var root = new TempDirectory();
        var events = SegmentFixture.Generate(seed: 8, events: 50, dimension: 0);
        using var set = SegmentFileSet.Open(SegmentFixture.Write(root, events, SegmentFixture.Options(dimension: 0)), populate: false);
        Assert.Equal(50, set.Count);
        Assert.Null(set.Vectors);
        Assert.Equal(0, set.Meta.VectorCount);
    }

    [Theory]
    [InlineData(true, true)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(false, false)]
    public void populate_and_verify_settings_read_the_same(bool populate, bool verify)
    {
        using var root = new TempDirectory();
        var events = SegmentFixture.Generate(seed: 9, events: 100);
        using var set = SegmentFileSet.Open(SegmentFixture.Write(root, events), populate, verify);
        Assert.Equal(events.Select(e => e.Bytes), set.ReadAll().Select(d => d.Record.ToArray()));
        Assert.Equal(events.Count(e => e.Record.Vector.Count > 0), set.Vectors!.Count);
    }

    [Fact]
    public void memory_handed_out_is_usable_as_protobuf_input_without_copying()
    {
        using var root = new TempDirectory();
        var events = SegmentFixture.Generate(seed: 10, events: 20);
        using var set = SegmentFileSet.Open(SegmentFixture.Write(root, events), populate: false);
        var doc = set.Get(3);
        Assert.True(System.Runtime.InteropServices.MemoryMarshal.TryGetMemoryManager<byte, System.Buffers.MemoryManager<byte>>(doc.Record, out _));
        Assert.Equal(events[3].Record, doc.Parse());
    }
}
