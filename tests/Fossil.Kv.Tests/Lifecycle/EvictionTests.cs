using Fossil.Kv.Keyspace;
using Fossil.Kv.Segments;

namespace Fossil.Kv.Tests.Lifecycle;

[Collection(EtcdCollection.Name)]
public sealed class EvictionTests(EtcdFixture etcd) : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("fossil-evict-").FullName;
    private readonly string _otherDirectory = Directory.CreateTempSubdirectory("fossil-evict-other-").FullName;

    public void Dispose()
    {
        Directory.Delete(_directory, recursive: true);
        Directory.Delete(_otherDirectory, recursive: true);
    }

    private static async Task<long> KeyCountAsync(EventStore store, byte[] prefix) =>
        (await store.Etcd.RangeAsync(new Etcdserverpb.RangeRequest { Key = Ops.Bytes(prefix), RangeEnd = Ops.Bytes(KeyLayout.PrefixEnd(prefix)), CountOnly = true })).Count;

    [Fact]
    public async Task evicting_a_segment_drops_its_keys_files_and_record_and_streams_keep_their_versions()
    {
        await using var store = await StoreFactory.CreateAsync(etcd.Endpoints, o =>
        {
            o.Segment.Partitions = 1;
            o.Segment.Directory = _directory;
        });
        var first = await store.AppendToStreamAsync("dormant", StreamState.NoStream, StoreFactory.Events(3));
        await store.AppendToStreamAsync("busy", StreamState.NoStream, StoreFactory.Events(2));
        var segment = SegmentId.Parse(first.Segment);
        await Assert.ThrowsAsync<SegmentStateException>(() => store.EvictSegmentAsync(first.Segment));
        await store.SealSegmentAsync(first.Segment);
        await store.MaterializeSegmentAsync(first.Segment);
        await store.AppendToStreamAsync("busy", StreamState.StreamRevision(1), StoreFactory.Events(1));
        Assert.True(await KeyCountAsync(store, store.Context.Keys.SegmentData(segment)) > 0);

        await store.EvictSegmentAsync(first.Segment);
        await store.EvictSegmentAsync(first.Segment); // idempotent

        Assert.Equal(0, await KeyCountAsync(store, store.Context.Keys.SegmentData(segment)));
        await Assert.ThrowsAsync<SegmentNotFoundException>(() => store.GetSegmentAsync(first.Segment));
        Assert.False(Directory.Exists(Path.Combine(_directory, first.Segment)));
        Assert.False(store.IsMaterialized(first.Segment));
        // The dormant stream's events went with the segment, but its version goes on.
        var wrong = await Assert.ThrowsAsync<WrongExpectedVersionException>(() => store.AppendToStreamAsync("dormant", StreamState.StreamRevision(1), StoreFactory.Events(1)));
        Assert.Equal(2, wrong.ActualVersion);
        var next = await store.AppendToStreamAsync("dormant", StreamState.StreamRevision(2), StoreFactory.Events(1));
        Assert.Equal(3, next.FirstVersion);
        Assert.Equal([3L], (await store.ReadStreamAsync("dormant").ToListAsync()).Select(e => e.Version));
        Assert.Equal([next.Segment], (await store.GetStreamAsync("dormant")).Segments.Select(s => s.Segment));
        Assert.Equal([2L], (await store.ReadStreamAsync("busy").ToListAsync()).Select(e => e.Version));
        Assert.DoesNotContain((await store.ReadAllAsync(Position.Start).ToListAsync()), e => e.Segment == first.Segment);
    }

    [Fact]
    public async Task a_late_re_send_of_a_streams_last_append_is_a_repeat_after_its_segment_was_evicted()
    {
        await using var store = await StoreFactory.CreateAsync(etcd.Endpoints, o =>
        {
            o.Segment.Partitions = 1;
            o.Segment.Directory = _directory;
        });
        EventData[] last = [StoreFactory.Json("t", "{\"n\":1}", Guid.NewGuid()), StoreFactory.Json("t", "{\"n\":2}", Guid.NewGuid())];
        await store.AppendToStreamAsync("late", StreamState.NoStream, StoreFactory.Events(1));
        var original = await store.AppendToStreamAsync("late", StreamState.Any, last);
        await store.SealSegmentAsync(original.Segment);
        await store.EvictSegmentAsync(original.Segment);
        // Another writer, whose tip comes from the head alone: the entries and files are gone.
        await using var other = await StoreFactory.CreateAsync(etcd.Endpoints, o =>
        {
            o.RootPrefix = store.Context.Options.RootPrefix;
            o.Segment.Directory = _otherDirectory;
        });

        var again = await other.AppendToStreamAsync("late", StreamState.Any, last);

        Assert.Equal(original with { IsRepeat = true }, again);
        Assert.Equal(2, (await other.GetStreamAsync("late")).Version);
    }

    [Fact]
    public async Task a_segment_evicted_by_another_process_leaves_this_nodes_files_and_reads_at_its_next_round()
    {
        var prefix = TestKeys.UniquePrefix();
        var elsewhere = Path.Combine(_directory, "elsewhere");
        await using var node = await StoreFactory.CreateAsync(etcd.Endpoints, o =>
        {
            o.RootPrefix = prefix;
            o.Segment.Partitions = 1;
            o.Segment.Directory = _directory;
        });
        await using var operatorTool = await StoreFactory.CreateAsync(etcd.Endpoints, o =>
        {
            o.RootPrefix = prefix;
            o.Segment.Directory = elsewhere;
        });
        var old = await node.AppendToStreamAsync("orders", StreamState.NoStream, StoreFactory.Events(3));
        await node.SealSegmentAsync(old.Segment);
        await node.AppendToStreamAsync("orders", StreamState.StreamRevision(2), StoreFactory.Events(1));
        await node.MaterializeSealedSegmentsAsync();
        Assert.Equal(4, (await node.ReadStreamAsync("orders").ToListAsync()).Count);

        await operatorTool.EvictSegmentAsync(old.Segment);
        await node.MaterializeSealedSegmentsAsync();

        Assert.False(Directory.Exists(Path.Combine(_directory, old.Segment)));
        Assert.False(node.IsMaterialized(old.Segment));
        Assert.Equal([3L], (await node.ReadStreamAsync("orders").ToListAsync()).Select(e => e.Version));
        Assert.Equal(
            (await operatorTool.ReadStreamAsync("orders").ToListAsync()).Select(e => e.Id),
            (await node.ReadStreamAsync("orders").ToListAsync()).Select(e => e.Id));
    }

    [Fact]
    public async Task retention_with_windows_of_seconds_drops_old_segments_and_their_keys()
    {
        await using var store = await StoreFactory.CreateAsync(etcd.Endpoints, o =>
        {
            o.Segment.Duration = "1s";
            o.Segment.Retention = "1s";
            o.Segment.Partitions = 1;
            o.Segment.Directory = _directory;
        });
        var written = await store.AppendToStreamAsync("short-lived", StreamState.Any, StoreFactory.Events(5));
        var segment = SegmentId.Parse(written.Segment);

        // What every node's background loop does each second: keep the window current, then apply retention.
        await Poll.UntilAsync(async () =>
        {
            await store.KeepWindowCurrentAsync();
            await store.ApplyRetentionAsync();
            return (await store.ListSegmentsAsync()).All(s => s.SegmentId != written.Segment);
        }, TimeSpan.FromSeconds(30), "the segment past retention is dropped");

        Assert.Equal(0, await KeyCountAsync(store, store.Context.Keys.SegmentData(segment)));
        Assert.Equal(4, (await store.GetStreamAsync("short-lived")).Version);
    }

    [Fact]
    public async Task compaction_rounds_keep_one_interval_of_history_and_one_node_claims_each_round()
    {
        await using var store = await StoreFactory.CreateAsync(etcd.Endpoints);
        await using var other = await StoreFactory.CreateAsync(etcd.Endpoints, o => o.RootPrefix = store.Context.Options.RootPrefix);
        await store.AppendToStreamAsync("history", StreamState.Any, StoreFactory.Events(1));

        var first = await store.CompactAsync(interval: TimeSpan.Zero);        // records where the next round compacts to
        var recorded = (await store.Etcd.GetAsync(Google.Protobuf.ByteString.CopyFrom(store.Context.Keys.Compaction))).Kvs[0].ModRevision;
        await store.AppendToStreamAsync("history", StreamState.Any, StoreFactory.Events(1));
        var second = await store.CompactAsync(interval: TimeSpan.Zero);       // compacts to what the first round recorded
        var notDue = await other.CompactAsync();                              // within the default 5 minutes of the last round

        Assert.Null(first);
        Assert.NotNull(second);
        Assert.True(second < recorded, "a round compacts to the revision recorded a round earlier, not to now");
        Assert.Null(notDue);
        Assert.Equal(2, (await store.ReadStreamAsync("history").ToListAsync()).Count);
    }
}
