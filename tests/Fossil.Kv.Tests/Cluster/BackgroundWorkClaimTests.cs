using Fossil.Kv.Cluster;

namespace Fossil.Kv.Tests.Cluster;

[Collection(EtcdCollection.Name)]
public sealed class BackgroundWorkClaimTests(EtcdFixture etcd)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    private static NodeInfo Node(string id) => new(id, [], DateTime.UtcNow, "test");

    private static async Task<BackgroundWorkClaim> ClaimAsync(EventStore store, NodeRegistration registration)
    {
        BackgroundWorkClaim? claim = null;
        await Poll.UntilAsync(async () => (claim = await store.ClaimBackgroundWorkAsync(registration)) is not null, Deadline, $"{registration.NodeId} claims the work");
        return claim!;
    }

    [Fact]
    public async Task one_node_holds_the_work_and_the_next_claims_it_when_that_node_goes()
    {
        await using var store = await StoreFactory.CreateAsync(etcd.Endpoints);
        var first = await store.RegisterNodeAsync(Node("first"), TimeSpan.FromSeconds(5));
        await using var second = await store.RegisterNodeAsync(Node("second"), TimeSpan.FromSeconds(5));

        var held = await ClaimAsync(store, first);
        Assert.Equal("first", held.NodeId);
        await Poll.UntilAsync(() => Task.FromResult(second.Lease is not null), Deadline, "the second node has its lease");
        Assert.Null(await store.ClaimBackgroundWorkAsync(second));
        var again = await store.ClaimBackgroundWorkAsync(first);
        Assert.Equal(held.ClaimRevision, again?.ClaimRevision); // holding is stable from one round to the next
        Assert.Equal("first", await store.GetBackgroundWorkHolderAsync());

        await first.DisposeAsync(); // revokes the lease the claim lives on

        var moved = await ClaimAsync(store, second);
        Assert.Equal("second", moved.NodeId);
        Assert.True(moved.ClaimRevision > held.ClaimRevision);
        Assert.Equal("second", await store.GetBackgroundWorkHolderAsync());
    }

    [Fact]
    public async Task a_stale_holder_is_fenced_out_of_the_work_it_no_longer_holds()
    {
        await using var store = await StoreFactory.CreateAsync(etcd.Endpoints);
        var first = await store.RegisterNodeAsync(Node("first"), TimeSpan.FromSeconds(5));
        await using var second = await store.RegisterNodeAsync(Node("second"), TimeSpan.FromSeconds(5));
        var stale = await ClaimAsync(store, first);
        await first.DisposeAsync();
        var current = await ClaimAsync(store, second);

        // The old holder, as if it had been paused past its lease, tries to compact: its fence fails.
        Assert.Null(await store.CompactAsync(force: true, claim: stale));
        Assert.NotNull(await store.CompactAsync(force: true, claim: current));
    }

    [Fact]
    public async Task a_stale_holder_cannot_start_evicting_and_the_current_one_can()
    {
        var directory = Directory.CreateTempSubdirectory("fossil-fence-").FullName;
        try
        {
            var clock = new ManualClock(DateTimeOffset.UtcNow);
            await using var store = await StoreFactory.CreateAsync(etcd.Endpoints, o =>
            {
                o.TimeProvider = clock;
                o.Segment.Retention = "1h";
                o.Segment.Partitions = 1;
                o.Segment.Directory = directory;
            });
            var appended = await store.AppendToStreamAsync("fenced", StreamState.NoStream, StoreFactory.Events(2));
            await store.SealSegmentAsync(appended.Segment);
            var first = await store.RegisterNodeAsync(Node("first"), TimeSpan.FromSeconds(5));
            await using var second = await store.RegisterNodeAsync(Node("second"), TimeSpan.FromSeconds(5));
            var stale = await ClaimAsync(store, first);
            await first.DisposeAsync();
            var current = await ClaimAsync(store, second);
            clock.Advance(TimeSpan.FromDays(2)); // the segment's window ended more than the retention ago

            await Assert.ThrowsAsync<BackgroundWorkLostException>(() => store.ApplyRetentionAsync(stale));
            Assert.Equal(Fossil.Kv.Segments.SegmentStatus.Sealed, (await store.GetSegmentAsync(appended.Segment)).Status);

            Assert.Equal(1, await store.ApplyRetentionAsync(current));
            await Assert.ThrowsAsync<SegmentNotFoundException>(() => store.GetSegmentAsync(appended.Segment));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
