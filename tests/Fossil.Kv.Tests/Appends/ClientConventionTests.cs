namespace Fossil.Kv.Tests.Appends;

/// <summary>Habits of KurrentDB client users that the API should support as they are.</summary>
[Collection(EtcdCollection.Name)]
public sealed class ClientConventionTests(EtcdFixture etcd)
{
    [Fact]
    public async Task the_next_expected_stream_state_of_an_append_is_what_the_next_append_expects()
    {
        await using var store = await StoreFactory.CreateAsync(etcd.Endpoints);
        var first = await store.AppendToStreamAsync("chained", StreamState.NoStream, StoreFactory.Events(2));

        var second = await store.AppendToStreamAsync("chained", first.NextExpectedStreamState, StoreFactory.Events(1));

        Assert.Equal(StreamState.StreamRevision(1), first.NextExpectedStreamState);
        Assert.Equal(2, second.LastVersion);
        await Assert.ThrowsAsync<WrongExpectedVersionException>(() => store.AppendToStreamAsync("chained", first.NextExpectedStreamState, StoreFactory.Events(1)));
    }

    [Fact]
    public async Task a_stream_read_takes_the_direction_first_as_kurrentdb_does()
    {
        await using var store = await StoreFactory.CreateAsync(etcd.Endpoints);
        await store.AppendToStreamAsync("direction-first", StreamState.NoStream, StoreFactory.Events(3));

        var backwards = await store.ReadStreamAsync(Direction.Backwards, "direction-first", maxCount: 2).ToListAsync();
        var forwards = await store.ReadStreamAsync(Direction.Forwards, "direction-first", fromVersion: 1).ToListAsync();

        Assert.Equal([2L, 1L], backwards.Select(e => e.Version));
        Assert.Equal([1L, 2L], forwards.Select(e => e.Version));
    }

    [Fact]
    public async Task a_duplicate_event_id_names_the_version_that_holds_it()
    {
        await using var store = await StoreFactory.CreateAsync(etcd.Endpoints);
        var id = Guid.NewGuid();
        await store.AppendToStreamAsync("dup-id", StreamState.Any, [StoreFactory.Json("a"), StoreFactory.Json("b", id: id)]);

        var error = await Assert.ThrowsAsync<DuplicateEventIdException>(
            () => store.AppendToStreamAsync("dup-id", StreamState.Any, [StoreFactory.Json("b", "{\"other\":true}", id)]));

        Assert.Equal(("dup-id", id, 1L), (error.Stream, error.EventId, error.Version));
    }
}
