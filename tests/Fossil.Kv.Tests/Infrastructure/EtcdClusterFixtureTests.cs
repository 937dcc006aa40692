namespace Fossil.Kv.Tests.Infrastructure;

/// <summary>The 3-member fixture's fault injection does what it says to real etcd processes.</summary>
[Collection(EtcdClusterCollection.Name)]
public sealed class EtcdClusterFixtureTests(EtcdClusterFixture fixture) : IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => fixture.HealAsync();

    [Fact]
    public async Task killed_member_restarts_and_catches_up_on_writes_it_missed()
    {
        var key = TestKeys.UniquePrefix() + "/k";
        var victim = fixture.Members[2];
        var survivors = fixture.Members.Take(2).Select(m => m.ClientUrl).ToArray();

        victim.Kill();
        Assert.False(victim.IsRunning);
        await PutOnceElectedAsync(survivors, key, "written-while-down");
        await victim.RestartAsync();

        // A serializable read answers from the member's own store, so it shows what the restarted member has applied.
        await Poll.UntilAsync(async () =>
            (await EtcdCtl.RunAsync([victim.ClientUrl], "get", key, "--print-value-only", "--consistency=s")).Trim() == "written-while-down",
            Deadline, "the restarted member has the write it missed");
    }

    [Fact]
    public async Task killing_the_leader_elects_a_new_one_that_takes_writes()
    {
        var oldLeader = await fixture.Cluster.FindLeaderAsync();

        oldLeader.Kill();
        var newLeader = await fixture.Cluster.FindLeaderAsync();
        await PutOnceElectedAsync([newLeader.ClientUrl], TestKeys.UniquePrefix() + "/after", "ok");

        Assert.NotSame(oldLeader, newLeader);
    }

    [Fact]
    public async Task paused_member_stops_answering_until_resumed()
    {
        var member = fixture.Members[1];

        member.Pause();
        var whilePaused = await member.IsHealthyAsync();
        var pidWhilePaused = member.ProcessId;
        member.Resume();
        await member.WaitHealthyAsync(Deadline);

        Assert.False(whilePaused);
        Assert.Equal(pidWhilePaused, member.ProcessId);
    }

    /// <summary>A write right after a member died can time out while the others elect; the same put is safe to repeat.</summary>
    private static Task PutOnceElectedAsync(Uri[] endpoints, string key, string value) =>
        Poll.UntilAsync(async () =>
        {
            try
            {
                await EtcdCtl.RunAsync(endpoints, "put", key, value);
                return true;
            }
            catch (InvalidOperationException) { return false; }
        }, Deadline, $"the surviving members accept a write of {key}");
}
