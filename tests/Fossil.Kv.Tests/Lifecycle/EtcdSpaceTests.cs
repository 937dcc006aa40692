using System.Security.Cryptography;
using System.Text;
using Etcdserverpb;
using Fossil.Kv.Keyspace;

namespace Fossil.Kv.Tests.Lifecycle;

/// <summary>
/// etcd's space: each test starts its own member (one with a small <c>--quota-backend-bytes</c>), since the
/// NOSPACE alarm and the database size are cluster-wide and would disturb every other test.
/// </summary>
public sealed class EtcdSpaceTests : IDisposable
{
    private const long Quota = 8L << 20;
    private readonly string _directory = Directory.CreateTempSubdirectory("fossil-space-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private Task<EventStore> CreateStoreAsync(EtcdCluster etcd, [System.Runtime.CompilerServices.CallerMemberName] string test = "") =>
        StoreFactory.CreateAsync(etcd.ClientUrls, o =>
        {
            o.Segment.Partitions = 1;
            o.Segment.Directory = _directory;
        }, test);

    private static string Endpoint(EtcdCluster etcd) => etcd.ClientUrls[0].AbsoluteUri.TrimEnd('/');

    private static EventData[] Blobs(int count, int bytes) =>
        [.. Enumerable.Range(0, count).Select(_ => new EventData(Guid.NewGuid(), "blob", RandomNumberGenerator.GetBytes(bytes), contentType: EventData.BinaryContentType))];

    private static StreamState After(long version) => version < 0 ? StreamState.NoStream : StreamState.StreamRevision(version);

    private static async Task DisarmAsync(EventStore store)
    {
        var alarms = await store.Etcd.AlarmAsync(new AlarmRequest { Action = AlarmRequest.Types.AlarmAction.Get });
        foreach (var alarm in alarms.Alarms.Where(a => a.Alarm == AlarmType.Nospace))
            await store.Etcd.AlarmAsync(new AlarmRequest { Action = AlarmRequest.Types.AlarmAction.Deactivate, MemberID = alarm.MemberID, Alarm = AlarmType.Nospace });
    }

    [Fact]
    public async Task appends_fail_clearly_over_the_quota_reads_go_on_and_after_recovery_they_resume_without_duplicates()
    {
        await using var etcd = await EtcdCluster.StartAsync(1, extraArguments: [$"--quota-backend-bytes={Quota}"]);
        await using var store = await CreateStoreAsync(etcd);
        var endpoint = Endpoint(etcd);

        // An old segment holding most of the quota (5 MiB of 8): what retention would evict. etcd checks its quota
        // against a size it updates only every 100 ms, so the first refusal comes late; small appends keep the
        // overshoot small, so that evicting the old segment is enough to get back under the quota.
        string? old = null;
        for (var i = 0; i < 40; i++)
            old = (await store.AppendToStreamAsync($"old-{i % 4}", StreamState.Any, Blobs(4, 32 * 1024))).Segment;
        await store.SealSegmentAsync(old!);

        // The active segment fills the rest until etcd refuses.
        var version = -1L;
        EventData[]? accepted = null;
        EventData[]? refused = null;
        StoreFullException? full = null;
        for (var i = 0; refused is null; i++)
        {
            Assert.True(i < 1000, "etcd never refused an append");
            var events = Blobs(2, 16 * 1024);
            try
            {
                version = (await store.AppendToStreamAsync("hot", After(version), events)).LastVersion;
                accepted = events;
            }
            catch (StoreFullException e)
            {
                (refused, full) = (events, e);
            }
        }
        Assert.Equal("no_space", full!.ErrorCode);
        Assert.Contains("NOSPACE", full.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<StoreFullException>(() => store.AppendToStreamAsync("another", StreamState.Any, StoreFactory.Events(1)));

        // Reads go on, also for a node that starts now.
        Assert.Equal(version, (await store.GetStreamAsync("hot")).Version);
        Assert.Equal(version + 1, (await store.ReadStreamAsync("hot").ToListAsync()).Count);
        Assert.Equal(10, (await store.ReadAllAsync(Position.Start, maxCount: 10).ToListAsync()).Count);
        await using (var restarted = await StoreFactory.CreateAsync(etcd.ClientUrls, o => o.RootPrefix = store.Context.Options.RootPrefix))
            Assert.Equal(version + 1, (await restarted.ReadStreamAsync("hot").ToListAsync()).Count);

        // Recovery in the order scripts/recover-nospace.sh runs it: evict, compact, defragment, disarm.
        Assert.False(await store.EvictSegmentAsync(old!), "under NOSPACE eviction can only delete the segment's events");
        Assert.NotNull(await store.CompactAsync(force: true));
        await store.Etcd.DefragmentAsync(endpoint);
        await DisarmAsync(store);
        Assert.Empty((await store.Etcd.AlarmAsync(new AlarmRequest { Action = AlarmRequest.Types.AlarmAction.Get })).Alarms);

        // Appends resume. The refused append sent again with its event ids lands once; the last accepted one is a repeat.
        var retried = await store.AppendToStreamAsync("hot", After(version), refused);
        var repeated = await store.AppendToStreamAsync("hot", After(version - accepted!.Length), accepted);
        Assert.True(repeated.IsRepeat);
        Assert.Equal((version + 1, version + refused.Length), (retried.FirstVersion, retried.LastVersion));
        var hot = await store.ReadStreamAsync("hot").ToListAsync();
        Assert.Equal(Enumerable.Range(0, hot.Count).Select(v => (long)v), hot.Select(e => e.Version));
        Assert.Equal(hot.Count, hot.Select(e => e.Id).Distinct().Count());
        Assert.Equal(refused.Length, hot.Count(e => refused.Any(r => r.Id == e.Id)));
        Assert.Equal(0, (await store.AppendToStreamAsync("another", StreamState.NoStream, StoreFactory.Events(1))).FirstVersion);

        // With writes possible again, the deferred eviction finishes.
        Assert.True(await store.EvictSegmentAsync(old!));
        await Assert.ThrowsAsync<SegmentNotFoundException>(() => store.GetSegmentAsync(old!));
        var data = store.Context.Keys.SegmentData(Fossil.Kv.Segments.SegmentId.Parse(old!));
        Assert.Empty((await store.Etcd.RangeAsync(Ops.Range(data, KeyLayout.PrefixEnd(data)))).Kvs);
    }

    [Fact]
    public async Task key_count_and_size_in_use_return_to_their_baseline_after_eviction_compaction_and_defragmentation()
    {
        await using var etcd = await EtcdCluster.StartAsync(1);
        await using var store = await CreateStoreAsync(etcd);
        var endpoint = Endpoint(etcd);
        var streams = Enumerable.Range(0, 8).Select(i => $"base-{i}").ToArray();
        var root = Encoding.UTF8.GetBytes(store.Context.Keys.RootPrefix + "/");
        async Task<List<string>> KeysAsync() =>
            [.. (await store.Etcd.RangeAsync(Ops.Range(root, KeyLayout.PrefixEnd(root), keysOnly: true))).Kvs.Select(kv => kv.Key.ToStringUtf8()[root.Length..])];
        async Task<long> InUseAfterCompactionAsync()
        {
            Assert.NotNull(await store.CompactAsync(force: true));
            await store.Etcd.DefragmentAsync(endpoint);
            return (await store.Etcd.StatusAsync(endpoint)).DbSizeInUse;
        }

        // The baseline: the store's metadata, and heads for streams that already lived in an evicted segment.
        var first = await store.AppendToStreamAsync(streams[0], StreamState.Any, StoreFactory.Events(1));
        foreach (var stream in streams.Skip(1)) await store.AppendToStreamAsync(stream, StreamState.Any, StoreFactory.Events(1));
        await store.SealSegmentAsync(first.Segment);
        Assert.True(await store.EvictSegmentAsync(first.Segment));
        var baselineInUse = await InUseAfterCompactionAsync();
        var baselineKeys = await KeysAsync();

        // A segment of a few thousand events.
        var segment = "";
        for (var i = 0; i < 80; i++)
            segment = (await store.AppendToStreamAsync(streams[i % streams.Length], StreamState.Any, Blobs(50, 200))).Segment;
        var peakKeys = await KeysAsync();
        long peakInUse = 0;
        await Poll.UntilAsync(async () => (peakInUse = (await store.Etcd.StatusAsync(endpoint)).DbSizeInUse) >= baselineInUse + (512 << 10), TimeSpan.FromSeconds(30),
            "etcd reports the segment's space in use (it updates its size every 100 ms)");
        Assert.Equal(4000, (await store.GetSegmentAsync(segment)).DocumentCount);

        await store.SealSegmentAsync(segment);
        Assert.True(await store.EvictSegmentAsync(segment));
        var keys = await KeysAsync();
        long inUse = 0;
        // etcd frees compacted revisions in the background: defragment again until it has.
        await Poll.UntilAsync(async () => (inUse = await InUseAfterCompactionAsync()) <= baselineInUse + (64 << 10), TimeSpan.FromSeconds(30),
            "etcd's in-use size returns to within 64 KiB of its baseline");

        Assert.True(peakKeys.Count >= baselineKeys.Count + 80, $"the segment added keys ({baselineKeys.Count} → {peakKeys.Count})");
        // The same number of keys: the evicted segment's record gave way to the next segment's.
        Assert.Equal(baselineKeys.Where(k => !k.StartsWith("meta/segments/", StringComparison.Ordinal)), keys.Where(k => !k.StartsWith("meta/segments/", StringComparison.Ordinal)));
        Assert.Equal(baselineKeys.Count, keys.Count);
        Assert.InRange(inUse, 0, baselineInUse + (64 << 10));
    }
}
