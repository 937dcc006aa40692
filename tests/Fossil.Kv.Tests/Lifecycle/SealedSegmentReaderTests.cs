using Fossil.Kv.Segments;

namespace Fossil.Kv.Tests.Lifecycle;

[Collection(EtcdCollection.Name)]
public sealed class SealedSegmentReaderTests(EtcdFixture etcd) : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("fossil-inplace-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private Task<EventStore> CreateStoreAsync(string directory, string? prefix = null) => StoreFactory.CreateAsync(etcd.Endpoints, o =>
    {
        o.Segment.Partitions = 1;
        o.Segment.Directory = Path.Combine(_directory, directory);
        if (prefix is not null) o.RootPrefix = prefix;
    });

    [Fact]
    public async Task a_sealed_segment_read_in_place_holds_exactly_the_events_the_api_reads()
    {
        await using var writer = await CreateStoreAsync("writer");
        await Task.WhenAll(Enumerable.Range(0, 40).Select(i => writer.AppendToStreamAsync($"inplace-{i % 5}", StreamState.Any,
        [
            new EventData(null, "json", """{"n":1}"""u8.ToArray(), """{"m":true}"""u8.ToArray()),
            new EventData(null, "binary", new byte[] { (byte)i, 2, 3 }, contentType: EventData.BinaryContentType) { Entities = ["alice"] },
        ])));
        var segment = (await writer.ListSegmentsAsync()).Single().SegmentId;
        await writer.SealSegmentAsync(segment);
        var expected = await writer.ReadSegmentAsync(segment).ToListAsync();
        // A second node with no files: opening materializes the segment there first.
        await using var reader = await CreateStoreAsync("reader", writer.Context.Options.RootPrefix);
        Assert.False(reader.IsMaterialized(segment));

        using var files = await reader.OpenSealedSegmentAsync(segment);

        Assert.True(reader.IsMaterialized(segment));
        Assert.Equal((segment, 80), (files.SegmentId, files.Count));
        var read = 0;
        foreach (var document in files.ReadAll())
        {
            var view = EventRecordView.Read(document);
            var e = expected[read++];
            Assert.Equal((e.Id, e.Stream, e.Version, e.Type, e.IsJson, e.Timestamp, e.Position, e.SegmentPosition),
                (view.Id, view.GetStream(), view.Version, view.GetEventType(), view.IsJson, view.Timestamp, view.Position, view.SegmentPosition));
            Assert.True(e.Data.Span.SequenceEqual(view.Data));
            Assert.True(e.Metadata.Span.SequenceEqual(view.Metadata));
            var decoded = files.Decode(document);
            Assert.Equal((e.Id, e.Segment, e.Position), (decoded.Id, decoded.Segment, decoded.Position));
            Assert.Equal(e.Entities, decoded.Entities);
        }
        Assert.Equal(80, read);
        Assert.Equal(expected.Skip(31).Select(e => e.SegmentPosition), files.ReadFrom(expected[31].SegmentPosition).Select(d => d.SegmentPosition));
    }

    [Fact]
    public async Task a_reader_keeps_its_files_through_an_eviction_and_lets_them_go_when_disposed()
    {
        await using var store = await CreateStoreAsync("node");
        var written = await store.AppendToStreamAsync("evicted-under-a-reader", StreamState.NoStream, StoreFactory.Events(12));
        await store.SealSegmentAsync(written.Segment);
        var files = await store.OpenSealedSegmentAsync(written.Segment);

        await store.EvictSegmentAsync(written.Segment);

        Assert.False(Directory.Exists(Path.Combine(_directory, "node", written.Segment)));
        Assert.Equal(Enumerable.Range(0, 12).Select(v => (long)v), files.ReadAll().Select(d => EventRecordView.Read(d).Version));
        files.Dispose();
        files.Dispose();
        Assert.Throws<ObjectDisposedException>(() => files.ReadAll());
        await Assert.ThrowsAsync<SegmentNotFoundException>(() => store.OpenSealedSegmentAsync(written.Segment));
    }

    [Fact]
    public async Task only_sealed_segments_of_the_catalog_open()
    {
        await using var store = await CreateStoreAsync("node");
        var active = await store.AppendToStreamAsync("still-active", StreamState.Any, StoreFactory.Events(1));

        var notSealed = await Assert.ThrowsAsync<SegmentStateException>(() => store.OpenSealedSegmentAsync(active.Segment));
        Assert.Contains("active", notSealed.Message);
        Assert.False(Directory.Exists(Path.Combine(_directory, "node", active.Segment)));
        await Assert.ThrowsAsync<SegmentNotFoundException>(() => store.OpenSealedSegmentAsync("20200101T000000Z-p00-g000"));
        await Assert.ThrowsAsync<SegmentNotFoundException>(() => store.OpenSealedSegmentAsync("../etc"));
    }
}
