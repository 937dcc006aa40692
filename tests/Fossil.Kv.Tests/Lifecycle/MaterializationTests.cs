using Fossil.Kv.Segments;

namespace Fossil.Kv.Tests.Lifecycle;

[Collection(EtcdCollection.Name)]
public sealed class MaterializationTests(EtcdFixture etcd) : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("fossil-segments-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private Task<EventStore> CreateStoreAsync(string? prefix = null) => StoreFactory.CreateAsync(etcd.Endpoints, o =>
    {
        o.Segment.Partitions = 2;
        o.Segment.Directory = _directory;
        if (prefix is not null) o.RootPrefix = prefix;
    });

    [Fact]
    public async Task reads_are_identical_before_sealing_and_from_the_materialized_files()
    {
        await using var store = await CreateStoreAsync();
        var streams = Enumerable.Range(0, 6).Select(i => $"mat-{i}").ToArray();
        await Task.WhenAll(Enumerable.Range(0, 60).Select(i => store.AppendToStreamAsync(streams[i % 6], StreamState.Any,
        [
            new EventData(null, "with-entities", """{"n":1}"""u8.ToArray(), """{"m":true}"""u8.ToArray()) { Entities = ["alice", $"order-{i % 4}"] },
            new EventData(null, "binary", new byte[] { 1, 2, 3 }, contentType: EventData.BinaryContentType),
        ])));
        var segments = (await store.ListSegmentsAsync()).Where(s => s.Status == SegmentStatus.Active).Select(s => s.SegmentId).ToArray();
        var before = await ReadSnapshot.TakeAsync(store, streams, segments);

        foreach (var segment in segments) await store.SealSegmentAsync(segment);
        var built = await store.MaterializeSealedSegmentsAsync();
        var after = await ReadSnapshot.TakeAsync(store, streams, segments);

        Assert.Equal(segments.Length, built);
        Assert.All(segments, s => Assert.True(store.IsMaterialized(s)));
        Assert.All(segments, s => Assert.True(File.Exists(Path.Combine(_directory, s, "meta.json"))));
        Assert.Equal(before, after);
        Assert.Equal(File.ReadAllLines(Path.Combine(_directory, "current")).Order(), (await store.ListSegmentsAsync()).Where(s => s.Status == SegmentStatus.Active).Select(s => s.SegmentId).Order());
    }

    [Fact]
    public async Task a_damaged_copy_is_not_served_and_is_rebuilt_and_leftovers_of_a_crash_are_removed()
    {
        string segment;
        string prefix;
        await using (var store = await CreateStoreAsync())
        {
            prefix = store.Context.Options.RootPrefix!;
            var result = await store.AppendToStreamAsync("fragile", StreamState.Any, StoreFactory.Events(20));
            segment = result.Segment;
            await store.SealSegmentAsync(segment);
            Assert.True(await store.MaterializeSegmentAsync(segment));
        }
        var documents = Path.Combine(_directory, segment, "documents.dat");
        var bytes = await File.ReadAllBytesAsync(documents);
        bytes[^10] ^= 0x40;
        await File.WriteAllBytesAsync(documents, bytes);
        // What a process killed mid-materialization leaves behind: a half-built temporary directory.
        var leftover = Directory.CreateDirectory(Path.Combine(_directory, $".tmp-{segment}-deadbeef")).FullName;

        await using var restarted = await CreateStoreAsync(prefix);
        Assert.False(restarted.IsMaterialized(segment));
        Assert.Equal(20, (await restarted.ReadStreamAsync("fragile").ToListAsync()).Count);
        Assert.True(await restarted.MaterializeSegmentAsync(segment));

        Assert.True(restarted.IsMaterialized(segment));
        Assert.False(Directory.Exists(leftover));
        Assert.Equal(Enumerable.Range(0, 20).Select(v => (long)v), (await restarted.ReadStreamAsync("fragile").ToListAsync()).Select(e => e.Version));
    }

    [Fact]
    public async Task materializing_reports_the_events_copied_up_to_the_segment_count()
    {
        await using var store = await CreateStoreAsync();
        var segment = (await store.AppendToStreamAsync("progress", StreamState.Any, StoreFactory.Events(1000))).Segment;
        await store.AppendToStreamAsync("progress", StreamState.Any, StoreFactory.Events(500));
        await store.SealSegmentAsync(segment);
        var reports = new Reports();

        Assert.True(await store.MaterializeSegmentAsync(segment, reports));

        Assert.Equal([1000L, 1500L], reports.Values);
    }

    /// <summary>Records reports on the reporting thread (<see cref="Progress{T}"/> would post them elsewhere).</summary>
    private sealed class Reports : IProgress<long>
    {
        public List<long> Values { get; } = [];

        public void Report(long value) => Values.Add(value);
    }

    [Fact]
    public async Task only_sealed_segments_are_materialized()
    {
        await using var store = await CreateStoreAsync();
        var result = await store.AppendToStreamAsync("active", StreamState.Any, StoreFactory.Events(1));

        await Assert.ThrowsAsync<SegmentStateException>(() => store.MaterializeSegmentAsync(result.Segment));
        Assert.False(Directory.Exists(Path.Combine(_directory, result.Segment)));
    }
}
