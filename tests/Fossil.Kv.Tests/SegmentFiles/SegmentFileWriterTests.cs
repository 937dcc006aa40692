using Fossil.Kv.SegmentFiles;

namespace Fossil.Kv.Tests.SegmentFiles;

public sealed class SegmentFileWriterTests
{
    [Fact]
    public void publish_replaces_a_corrupt_existing_directory()
    {
        using var root = new TempDirectory();
        var final = SegmentFixture.Write(root, SegmentFixture.Generate(seed: 1, events: 30));
        File.WriteAllBytes(Path.Combine(final, SegmentFileNames.Documents), [1, 2, 3]);
        File.WriteAllText(Path.Combine(final, "stray.txt"), "left by an old writer");
        Assert.False(SegmentFileSet.TryVerify(final, out _));

        var events = SegmentFixture.Generate(seed: 2, events: 40);
        var temp = root.Combine("segment.tmp");
        using (var writer = new SegmentFileWriter(temp, SegmentFixture.Options()))
        {
            foreach (var e in events)
                writer.Append(e.Bytes, e.SegmentPosition, e.CommitRevision);
            writer.Complete();
        }
        SegmentFileWriter.Publish(temp, final);

        Assert.False(Directory.Exists(temp));
        Assert.False(File.Exists(Path.Combine(final, "stray.txt")));
        Assert.Empty(Directory.GetDirectories(root.Path, "*" + SegmentFileWriter.ReplacedSuffix + "*"));
        using var set = SegmentFileSet.Open(final, populate: false);
        Assert.Equal(events.Select(e => e.SegmentPosition), set.ReadAll().Select(d => d.SegmentPosition));
    }

    [Fact]
    public async Task publish_async_moves_the_directory_into_place()
    {
        using var root = new TempDirectory();
        var temp = root.Combine("t");
        using (var writer = new SegmentFileWriter(temp, SegmentFixture.Options()))
            writer.Complete();
        var final = Path.Combine(root.Path, "segments", "sid");
        await SegmentFileWriter.PublishAsync(temp, final);
        Assert.True(SegmentFileSet.TryVerify(final, out var problem), problem?.Message);
    }

    [Fact]
    public void an_incomplete_directory_is_never_published_or_opened()
    {
        using var root = new TempDirectory();
        var temp = root.Combine("t");
        using (var writer = new SegmentFileWriter(temp, SegmentFixture.Options()))
        {
            var e = SegmentFixture.Generate(seed: 3, events: 1)[0];
            writer.Append(e.Bytes, e.SegmentPosition, e.CommitRevision);
            // no Complete: a crash before meta.json
        }
        Assert.Throws<SegmentFilesCorruptException>(() => SegmentFileWriter.Publish(temp, root.Combine("final")));
        Assert.False(Directory.Exists(root.Combine("final")));
        var problem = Assert.Throws<SegmentFilesCorruptException>(() => SegmentFileSet.Open(temp, populate: false));
        Assert.EndsWith(SegmentFileNames.Meta, problem.FilePath, StringComparison.Ordinal);
    }

    [Fact]
    public void the_writer_refuses_a_non_empty_directory()
    {
        using var root = new TempDirectory();
        File.WriteAllText(root.Combine("x"), "x");
        Assert.Throws<IOException>(() => new SegmentFileWriter(root.Path, SegmentFixture.Options()));
    }

    [Fact]
    public void events_out_of_order_or_inconsistent_are_rejected_and_leave_the_writer_usable()
    {
        using var root = new TempDirectory();
        var events = SegmentFixture.Generate(seed: 4, events: 10);
        var temp = root.Combine("t");
        using var writer = new SegmentFileWriter(temp, SegmentFixture.Options());
        writer.Append(events[0].Bytes, events[0].SegmentPosition, events[0].CommitRevision);
        writer.Append(events[1].Bytes, events[1].SegmentPosition, events[1].CommitRevision);

        // Same position again, an earlier revision, bytes that are not a record, an index that disagrees with the position.
        Assert.Throws<ArgumentException>(() => writer.Append(events[2].Bytes, events[1].SegmentPosition, events[2].CommitRevision));
        Assert.Throws<ArgumentException>(() => writer.Append(events[2].Bytes, events[2].SegmentPosition, events[0].CommitRevision - 1));
        Assert.Throws<ArgumentException>(() => writer.Append([0xFF, 0xFF, 0xFF], events[2].SegmentPosition, events[2].CommitRevision));
        Assert.Throws<ArgumentException>(() => writer.Append(events[2].Bytes, events[2].SegmentPosition + 1, events[2].CommitRevision));
        // A version gap in a stream.
        var gap = events[2].Record.Clone();
        gap.Stream = events[0].Record.Stream;
        gap.Version = events.Take(2).Where(e => e.Record.Stream == gap.Stream).Max(e => e.Record.Version) + 2;
        Assert.Throws<ArgumentException>(() => writer.Append(gap, events[2].SegmentPosition, events[2].CommitRevision));
        // A vector of the wrong dimension.
        var wrong = events[2].Record.Clone();
        wrong.Vector.Clear();
        wrong.Vector.Add(1f);
        Assert.Throws<ArgumentException>(() => writer.Append(wrong, events[2].SegmentPosition, events[2].CommitRevision));

        for (var i = 2; i < events.Count; i++)
            writer.Append(events[i].Bytes, events[i].SegmentPosition, events[i].CommitRevision);
        var meta = writer.Complete();
        Assert.Equal(events.Count, meta.DocumentCount);
        SegmentFileWriter.Publish(temp, root.Combine("final"));
        using var set = SegmentFileSet.Open(root.Combine("final"), populate: false);
        Assert.Equal(events.Select(e => e.Bytes), set.ReadAll().Select(d => d.Record.ToArray()));
    }

    [Fact]
    public void a_vector_in_a_store_without_vectors_is_rejected()
    {
        using var root = new TempDirectory();
        var e = SegmentFixture.Generate(seed: 5, events: 20).First(x => x.Record.Vector.Count > 0);
        using var writer = new SegmentFileWriter(root.Combine("t"), SegmentFixture.Options(dimension: 0));
        Assert.Throws<ArgumentException>(() => writer.Append(e.Bytes, e.SegmentPosition, e.CommitRevision));
    }
}
