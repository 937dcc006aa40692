using Fossil.Kv.Etcd;

namespace Fossil.Kv.Tests.Faults;

/// <summary>Runs on an etcd of its own, since it freezes it.</summary>
public sealed class UnknownOutcomeTests
{
    private const int UnknownOutcomeLogId = 1100;

    /// <summary>
    /// An append reaches its Txn without reading etcd only while the store's cached settings are fresh
    /// (5 s). On a loaded machine they can age out between the warm-up and the freeze; the append then
    /// fails on its settings read, before anything is sent, and the scenario is set up again.
    /// </summary>
    private const int FreezeAttempts = 5;

    [Fact]
    public async Task an_append_whose_outcome_etcd_could_not_report_is_resolved_and_never_duplicated()
    {
        await using var cluster = await EtcdCluster.StartAsync(1);
        var member = cluster.Members[0];
        var logger = new SignalingLogger<EventStore>(UnknownOutcomeLogId);
        await using var store = await EventStore.ConnectAsync(OptionsFor(member), logger);
        await store.AppendToStreamAsync("fragile", StreamState.NoStream, StoreFactory.Events(1));
        var events = StoreFactory.Events(2);

        Task<AppendResult>? append = null;
        for (var attempt = 1; !logger.Seen.IsCompleted; attempt++)
        {
            Assert.True(attempt <= FreezeAttempts, $"No append Txn was in flight when etcd froze in {FreezeAttempts} attempts.");
            await WarmUpAsync(store);
            member.Pause();
            try
            {
                append = store.AppendToStreamAsync("fragile", StreamState.StreamRevision(0), events);
                await Task.WhenAny(logger.Seen, append).WaitAsync(TimeSpan.FromSeconds(30));
            }
            finally
            {
                member.Resume();
            }
            if (!logger.Seen.IsCompleted)
                await Assert.ThrowsAsync<StoreUnavailableException>(() => append);
        }
        var result = await append!;
        var repeat = await store.AppendToStreamAsync("fragile", StreamState.StreamRevision(0), events);
        var stored = await store.ReadStreamAsync("fragile").ToListAsync();

        Assert.Equal((1L, 2L), (result.FirstVersion, result.LastVersion));
        Assert.True(repeat.IsRepeat);
        Assert.Equal(result.Position, repeat.Position);
        Assert.Equal(3, stored.Count);
        Assert.Equal(events.Select(e => e.Id), stored.Skip(1).Select(e => e.Id));
    }

    [Fact]
    public async Task an_append_facing_a_frozen_etcd_fails_as_unknown_in_bounded_time_and_its_retry_lands_once()
    {
        await using var cluster = await EtcdCluster.StartAsync(1);
        var member = cluster.Members[0];
        var logger = new SignalingLogger<EventStore>(UnknownOutcomeLogId);
        await using var store = await EventStore.ConnectAsync(OptionsFor(member), logger);
        await store.AppendToStreamAsync("frozen", StreamState.NoStream, StoreFactory.Events(1));
        var events = StoreFactory.Events(2);

        StoreUnavailableException? unknown = null;
        for (var attempt = 1; !logger.Seen.IsCompleted; attempt++)
        {
            Assert.True(attempt <= FreezeAttempts, $"No append Txn was in flight when etcd froze in {FreezeAttempts} attempts.");
            await WarmUpAsync(store);
            member.Pause();
            try
            {
                // The resolution gives up after three call timeouts (~5 s here; it took ~35 s when it counted 20 fence attempts instead).
                unknown = await Assert.ThrowsAsync<StoreUnavailableException>(() =>
                    store.AppendToStreamAsync("frozen", StreamState.StreamRevision(0), events).WaitAsync(TimeSpan.FromSeconds(30)));
            }
            finally
            {
                member.Resume();
            }
        }
        var retried = await store.AppendToStreamAsync("frozen", StreamState.StreamRevision(0), events);
        var stored = await store.ReadStreamAsync("frozen").ToListAsync();

        Assert.Contains("same event ids", unknown!.Message);
        Assert.Equal((1L, 2L), (retried.FirstVersion, retried.LastVersion));
        Assert.Equal(3, stored.Count);
        Assert.Equal(events.Select(e => e.Id), stored.Skip(1).Select(e => e.Id));
    }

    private static FossilOptions OptionsFor(EtcdMember member) => new()
    {
        RootPrefix = TestKeys.UniquePrefix(),
        Etcd = new EtcdClientOptions
        {
            Endpoints = [member.ClientUrl.AbsoluteUri.TrimEnd('/')],
            CallTimeout = TimeSpan.FromSeconds(1),
        },
    };

    /// <summary>An append to another stream refreshes the store's cached settings, so the next append goes straight to its Txn.</summary>
    private static Task<AppendResult> WarmUpAsync(EventStore store) =>
        store.AppendToStreamAsync("warm-up", StreamState.Any, StoreFactory.Events(1));
}
