using Fossil.Kv.Keyspace;
using Fossil.Kv.SegmentFiles;
using Fossil.Kv.Segments;

namespace Fossil.Kv.Tests.Lifecycle;

[Collection(EtcdCollection.Name)]
public sealed class ArchiveTests(EtcdFixture etcd) : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("fossil-archive-").FullName;

    private string Archive => Path.Combine(_root, "archive");

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private Task<EventStore> CreateStoreAsync(string node, string? prefix = null, bool archive = true) => StoreFactory.CreateAsync(etcd.Endpoints, o =>
    {
        o.Segment.Partitions = 2;
        o.Segment.Directory = Path.Combine(_root, node);
        if (archive) o.Segment.Archive = Archive;
        if (prefix is not null) o.RootPrefix = prefix;
    });

    private static async Task<long> KeyCountAsync(EventStore store, byte[] prefix) =>
        (await store.Etcd.RangeAsync(new Etcdserverpb.RangeRequest { Key = Ops.Bytes(prefix), RangeEnd = Ops.Bytes(KeyLayout.PrefixEnd(prefix)), CountOnly = true })).Count;

    private static async Task<long> EventKeyCountAsync(EventStore store, string segment) =>
        await KeyCountAsync(store, store.Context.Keys.SegmentData(SegmentId.Parse(segment)));

    private static EventData[] Append(int i) =>
    [
        new EventData(Guid.NewGuid(), "with-entities", """{"n":1}"""u8.ToArray(), """{"m":true}"""u8.ToArray()) { Entities = ["alice", $"order-{i % 4}"] },
        new EventData(Guid.NewGuid(), "binary", new byte[] { 1, 2, (byte)i }, contentType: EventData.BinaryContentType),
    ];

    /// <summary>Writes 8 appends of 2 events to each of 6 streams over both partitions; returns each stream's appends in order.</summary>
    private static async Task<(string[] Streams, Dictionary<string, List<EventData[]>> Appends, string[] Segments)> WriteAsync(EventStore store, string name)
    {
        var streams = Enumerable.Range(0, 6).Select(i => $"{name}-{i}").ToArray();
        var appends = streams.ToDictionary(s => s, _ => new List<EventData[]>());
        for (var i = 0; i < 48; i++)
        {
            var events = Append(i);
            await store.AppendToStreamAsync(streams[i % 6], StreamState.Any, events);
            appends[streams[i % 6]].Add(events);
        }
        var segments = (await store.ListSegmentsAsync()).Where(s => s.Status == SegmentStatus.Active).Select(s => s.SegmentId).ToArray();
        return (streams, appends, segments);
    }

    private static async Task<List<string>> CatchUpAsync(IAsyncEnumerable<RecordedEvent> subscription, int count)
    {
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var seen = new List<string>();
        await foreach (var e in subscription.WithCancellation(cancel.Token))
        {
            seen.Add(ReadSnapshot.Describe(e));
            if (seen.Count == count) break;
        }
        return seen;
    }

    [Fact]
    public async Task reads_are_identical_before_sealing_after_sealing_and_after_archiving_with_the_keys_gone()
    {
        await using var store = await CreateStoreAsync("node-a");
        var (streams, appends, segments) = await WriteAsync(store, "arch");
        var before = await ReadSnapshot.TakeAsync(store, streams, segments);
        var all = (await store.ReadAllAsync(Position.Start).ToListAsync()).Select(ReadSnapshot.Describe).ToList();
        var oneStream = (await store.ReadStreamAsync(streams[0]).ToListAsync()).Select(ReadSnapshot.Describe).ToList();

        foreach (var segment in segments)
        {
            await store.SealSegmentAsync(segment);
            await store.MaterializeSegmentAsync(segment);
        }
        var sealedReads = await ReadSnapshot.TakeAsync(store, streams, segments);
        foreach (var segment in segments) Assert.True(await EventKeyCountAsync(store, segment) > 0, "without archiving, a sealed segment's keys stay in etcd");

        foreach (var segment in segments) Assert.True(await store.ArchiveSegmentAsync(segment));
        var archived = await ReadSnapshot.TakeAsync(store, streams, segments);

        foreach (var segment in segments)
        {
            Assert.Equal(0, await EventKeyCountAsync(store, segment));
            var record = await store.GetSegmentAsync(segment);
            Assert.Equal(Path.Combine(Archive, segment), record.ArchivedAt);
            Assert.NotNull(record.ArchiveChecksum);
            Assert.True(File.Exists(Path.Combine(Archive, segment, SegmentFileNames.Meta)));
        }
        Assert.Equal(before, sealedReads);
        Assert.Equal(before, archived);
        Assert.Equal(all, await CatchUpAsync(store.SubscribeToAllAsync(), all.Count));
        Assert.Equal(oneStream, await CatchUpAsync(store.SubscribeToStreamAsync(streams[0]), oneStream.Count));

        // Another node, with nothing local and no cached tips: versions and idempotency come from the archived files.
        await using var other = await CreateStoreAsync("node-b", store.Context.Options.RootPrefix);
        Assert.Equal(15, (await other.GetStreamAsync(streams[1])).Version);
        var repeat = await other.AppendToStreamAsync(streams[1], StreamState.Any, appends[streams[1]][^1]);
        Assert.True(repeat.IsRepeat);
        Assert.Equal((14L, 15L), (repeat.FirstVersion, repeat.LastVersion));
        var earlier = await other.AppendToStreamAsync(streams[4], StreamState.StreamRevision(5), appends[streams[4]][3]);
        Assert.True(earlier.IsRepeat);
        Assert.Equal((6L, 7L), (earlier.FirstVersion, earlier.LastVersion));
        var wrong = await Assert.ThrowsAsync<WrongExpectedVersionException>(() => other.AppendToStreamAsync(streams[2], StreamState.StreamRevision(14), StoreFactory.Events(1)));
        Assert.Equal(15, wrong.ActualVersion);
        var next = await other.AppendToStreamAsync(streams[2], StreamState.StreamRevision(15), StoreFactory.Events(1));
        Assert.Equal(16, next.FirstVersion);
        Assert.Equal(Enumerable.Range(0, 17).Select(v => (long)v), (await store.ReadStreamAsync(streams[2]).ToListAsync()).Select(e => e.Version));
        Assert.Equal(16, (await store.AppendToStreamAsync(streams[3], StreamState.StreamRevision(15), StoreFactory.Events(1))).FirstVersion);
    }

    [Fact]
    public async Task a_node_with_an_empty_segment_directory_fetches_archived_segments_and_refuses_a_damaged_copy()
    {
        string prefix;
        string[] streams;
        string[] segments;
        List<string> expected;
        await using (var store = await CreateStoreAsync("node-a"))
        {
            prefix = store.Context.Options.RootPrefix!;
            (streams, _, segments) = await WriteAsync(store, "fetch");
            expected = await ReadSnapshot.TakeAsync(store, streams, segments);
            foreach (var segment in segments) await store.SealSegmentAsync(segment);
            // What every node's background loop does: materialize what it lacks, then archive it.
            await store.MaterializeSealedSegmentsAsync();
            foreach (var segment in segments) Assert.Equal(0, await EventKeyCountAsync(store, segment));
        }

        await using (var fresh = await CreateStoreAsync("node-b", prefix))
        {
            Assert.All(segments, s => Assert.False(fresh.IsMaterialized(s)));
            Assert.Equal(expected, await ReadSnapshot.TakeAsync(fresh, streams, segments));
            Assert.All(segments, s => Assert.True(fresh.IsMaterialized(s)));
            Assert.All(segments, s => Assert.True(File.Exists(Path.Combine(_root, "node-b", s, SegmentFileNames.Meta))));
        }

        var documents = Path.Combine(Archive, segments[0], SegmentFileNames.Documents);
        var bytes = await File.ReadAllBytesAsync(documents);
        bytes[^5] ^= 0x20;
        await File.WriteAllBytesAsync(documents, bytes);
        await using var third = await CreateStoreAsync("node-c", prefix);
        var problem = await Assert.ThrowsAsync<SegmentFilesCorruptException>(() => third.ReadSegmentAsync(segments[0]).ToListAsync().AsTask());
        Assert.StartsWith(Path.Combine(Archive, segments[0]), problem.FilePath, StringComparison.Ordinal);
        Assert.False(third.IsMaterialized(segments[0]));
        Assert.False(Directory.Exists(Path.Combine(_root, "node-c", segments[0])));
        await Assert.ThrowsAsync<SegmentFilesCorruptException>(() => third.MaterializeSegmentAsync(segments[0]));
    }

    [Fact]
    public async Task an_archive_interrupted_after_publishing_or_after_recording_completes_on_the_next_round()
    {
        await using var store = await CreateStoreAsync("node-a");
        var (streams, _, segments) = await WriteAsync(store, "crash");
        var expected = await ReadSnapshot.TakeAsync(store, streams, segments);
        foreach (var segment in segments)
        {
            await store.SealSegmentAsync(segment);
            await store.MaterializeSegmentAsync(segment);
        }
        var published = SegmentId.Parse(segments[0]);
        var recorded = SegmentId.Parse(segments[1]);

        // Crash after publishing, before the record noted it.
        await store.Context.Local.PublishToArchiveAsync(published, CancellationToken.None);
        // Crash after the record noted it, before the keys were deleted.
        var (directory, checksum) = await store.Context.Local.PublishToArchiveAsync(recorded, CancellationToken.None);
        var view = (await store.Catalog.ReadSegmentsAsync([recorded], CancellationToken.None))[0];
        var note = new Etcdserverpb.TxnRequest();
        note.Compare.Add(Ops.ModRevisionIs(store.Context.Keys.Segment(recorded), view.ModRevision));
        note.Success.Add(Ops.Put(store.Context.Keys.Segment(recorded), (view.Record with { ArchivedAt = directory, ArchiveChecksum = checksum }).ToJsonBytes()));
        Assert.True((await store.Etcd.TxnAsync(note)).Succeeded);
        // A publisher killed mid-copy leaves a temporary directory that no reader takes for a segment.
        Directory.CreateDirectory(Path.Combine(Archive, $".tmp-{segments[0]}-deadbeef"));

        Assert.Null((await store.GetSegmentAsync(segments[0])).ArchivedAt);
        Assert.True(await EventKeyCountAsync(store, segments[0]) > 0);
        Assert.True(await EventKeyCountAsync(store, segments[1]) > 0);
        Assert.Equal(expected, await ReadSnapshot.TakeAsync(store, streams, segments));

        await store.MaterializeSealedSegmentsAsync();

        foreach (var segment in segments)
        {
            Assert.Equal(0, await EventKeyCountAsync(store, segment));
            Assert.NotNull((await store.GetSegmentAsync(segment)).ArchivedAt);
        }
        Assert.Equal(expected, await ReadSnapshot.TakeAsync(store, streams, segments));
        await using var other = await CreateStoreAsync("node-b", store.Context.Options.RootPrefix);
        Assert.Equal(expected, await ReadSnapshot.TakeAsync(other, streams, segments));
    }

    [Fact]
    public async Task two_nodes_archiving_one_segment_at_once_agree_and_eviction_removes_the_archived_copy()
    {
        await using var store = await CreateStoreAsync("node-a");
        await using var other = await CreateStoreAsync("node-b", store.Context.Options.RootPrefix);
        var written = await store.AppendToStreamAsync("dormant", StreamState.NoStream, StoreFactory.Events(5));
        await store.SealSegmentAsync(written.Segment);

        var both = await Task.WhenAll(store.ArchiveSegmentAsync(written.Segment), other.ArchiveSegmentAsync(written.Segment));

        Assert.Equal([true, true], both);
        Assert.Equal(0, await EventKeyCountAsync(store, written.Segment));
        Assert.Equal(Enumerable.Range(0, 5).Select(v => (long)v), (await other.ReadStreamAsync("dormant").ToListAsync()).Select(e => e.Version));

        Assert.True(await store.EvictSegmentAsync(written.Segment));

        Assert.False(Directory.Exists(Path.Combine(Archive, written.Segment)));
        Assert.False(Directory.Exists(Path.Combine(_root, "node-a", written.Segment)));
        await Assert.ThrowsAsync<SegmentNotFoundException>(() => store.GetSegmentAsync(written.Segment));
        Assert.Equal(4, (await other.GetStreamAsync("dormant")).Version);
        Assert.Equal(5, (await other.AppendToStreamAsync("dormant", StreamState.StreamRevision(4), StoreFactory.Events(1))).FirstVersion);
    }

    [Fact]
    public async Task a_node_with_a_stale_tip_cannot_reuse_versions_whose_keys_were_archived()
    {
        await using var store = await CreateStoreAsync("node-a");
        await using var stale = await CreateStoreAsync("node-b", store.Context.Options.RootPrefix);
        var first = await stale.AppendToStreamAsync("shared", StreamState.NoStream, StoreFactory.Events(2)); // node-b caches version 1
        await store.AppendToStreamAsync("shared", StreamState.StreamRevision(1), StoreFactory.Events(2));    // version 3, unseen by node-b
        await store.SealSegmentAsync(first.Segment);
        Assert.True(await store.ArchiveSegmentAsync(first.Segment));

        // node-b's tip says 1 and the entries that would contradict it are gone: the head's final version fences it.
        var next = await stale.AppendToStreamAsync("shared", StreamState.Any, StoreFactory.Events(1));

        Assert.Equal(4, next.FirstVersion);
        Assert.Equal(Enumerable.Range(0, 5).Select(v => (long)v), (await store.ReadStreamAsync("shared").ToListAsync()).Select(e => e.Version));
    }

    [Fact]
    public async Task an_eviction_interrupted_after_removing_the_files_completes_on_retry()
    {
        await using var store = await CreateStoreAsync("node-a");
        var written = await store.AppendToStreamAsync("interrupted", StreamState.NoStream, StoreFactory.Events(3));
        await store.SealSegmentAsync(written.Segment);
        Assert.True(await store.ArchiveSegmentAsync(written.Segment));
        // What a node killed mid-eviction leaves: the record says expiring, the local and archived copies are gone.
        var id = SegmentId.Parse(written.Segment);
        var view = (await store.Catalog.ReadSegmentsAsync([id], CancellationToken.None))[0];
        var expiring = new Etcdserverpb.TxnRequest();
        expiring.Compare.Add(Ops.ModRevisionIs(store.Context.Keys.Segment(id), view.ModRevision));
        expiring.Success.Add(Ops.Put(store.Context.Keys.Segment(id), (view.Record with { Status = SegmentStatus.Expiring }).ToJsonBytes()));
        Assert.True((await store.Etcd.TxnAsync(expiring)).Succeeded);
        store.Context.Local.Drop(id);
        store.Context.Local.DropFromArchive(id);

        await using var other = await CreateStoreAsync("node-b", store.Context.Options.RootPrefix);
        Assert.True(await other.EvictSegmentAsync(written.Segment));

        await Assert.ThrowsAsync<SegmentNotFoundException>(() => other.GetSegmentAsync(written.Segment));
        Assert.Equal(2, (await other.GetStreamAsync("interrupted")).Version);
        Assert.Equal(3, (await other.AppendToStreamAsync("interrupted", StreamState.StreamRevision(2), StoreFactory.Events(1))).FirstVersion);
    }

    [Fact]
    public async Task retrying_either_of_two_appends_committed_together_is_a_repeat_after_archiving()
    {
        await using var store = await CreateStoreAsync("node-a");
        // Concurrent appends to one stream share transactions (the committer chains them): write bursts until the
        // stream's last append shares its commit with the one before it.
        var sent = new List<(EventData[] Events, AppendResult Result)>();
        for (var burst = 0; burst < 50; burst++)
        {
            var events = Enumerable.Range(0, 16).Select(_ => StoreFactory.Events(2)).ToArray();
            var results = await Task.WhenAll(events.Select(e => store.AppendToStreamAsync("chained", StreamState.Any, e)));
            sent.AddRange(events.Zip(results));
            var ordered = sent.OrderBy(s => s.Result.LastVersion).ToList();
            if (ordered[^1].Result.Position.Revision == ordered[^2].Result.Position.Revision) break;
        }
        var last = sent.MaxBy(s => s.Result.LastVersion);
        Assert.Contains(sent, s => s != last && s.Result.Position.Revision == last.Result.Position.Revision);
        await store.SealSegmentAsync(last.Result.Segment);
        Assert.True(await store.ArchiveSegmentAsync(last.Result.Segment));

        await using var other = await CreateStoreAsync("node-b", store.Context.Options.RootPrefix);
        var together = sent.Where(s => s.Result.Position.Revision == last.Result.Position.Revision).MinBy(s => s.Result.LastVersion);
        var repeat = await other.AppendToStreamAsync("chained", StreamState.Any, last.Events);
        var earlier = await other.AppendToStreamAsync("chained", StreamState.Any, together.Events);

        Assert.Equal(last.Result with { IsRepeat = true }, repeat);
        Assert.Equal(together.Result with { IsRepeat = true }, earlier);
        Assert.Equal(last.Result.LastVersion, (await other.GetStreamAsync("chained")).Version);
    }

    [Fact]
    public async Task a_node_without_the_archive_says_so_instead_of_reading_nothing()
    {
        await using var store = await CreateStoreAsync("node-a");
        var written = await store.AppendToStreamAsync("elsewhere", StreamState.NoStream, StoreFactory.Events(3));
        await store.SealSegmentAsync(written.Segment);
        Assert.True(await store.ArchiveSegmentAsync(written.Segment));

        await using var blind = await CreateStoreAsync("node-b", store.Context.Options.RootPrefix, archive: false);

        var problem = await Assert.ThrowsAsync<SegmentStateException>(() => blind.ReadSegmentAsync(written.Segment).ToListAsync().AsTask());
        Assert.Contains("segment.archive", problem.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<SegmentStateException>(() => blind.MaterializeSegmentAsync(written.Segment));
        await Assert.ThrowsAsync<InvalidOperationException>(() => blind.ArchiveSegmentAsync(written.Segment));
    }
}
