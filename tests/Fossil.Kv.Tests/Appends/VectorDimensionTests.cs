namespace Fossil.Kv.Tests.Appends;

/// <summary>
/// The store's first vector fixes <c>vector.dimension</c> in the append's own transaction: the setting
/// changes if and only if that append commits.
/// </summary>
[Collection(EtcdCollection.Name)]
public sealed class VectorDimensionTests(EtcdFixture etcd)
{
    private static EventData WithVector(params float[] vector) => new(null, "t", "{}"u8.ToArray()) { Vector = vector };

    [Fact]
    public async Task a_first_vector_whose_transaction_is_refused_leaves_the_dimension_unset()
    {
        var prefix = TestKeys.UniquePrefix();
        await using var writer = await StoreFactory.CreateAsync(etcd.Endpoints, o => o.RootPrefix = prefix);
        await using var other = await StoreFactory.CreateAsync(etcd.Endpoints, o => o.RootPrefix = prefix);
        await writer.AppendToStreamAsync("s", StreamState.NoStream, StoreFactory.Events(1));
        // Another writer moves the stream; `writer` still believes it is at version 0, so its append goes
        // all the way to a transaction, which etcd refuses on the stream's compare.
        await other.AppendToStreamAsync("s", StreamState.Any, StoreFactory.Events(1));

        var refused = await Assert.ThrowsAsync<WrongExpectedVersionException>(() =>
            writer.AppendToStreamAsync("s", StreamState.StreamRevision(0), [WithVector(1, 2, 3)]));
        var unset = await writer.GetSettingsAsync();
        var landed = await writer.AppendToStreamAsync("s", StreamState.StreamRevision(1), [WithVector(1, 2, 3, 4)]);

        Assert.Equal(1, refused.ActualVersion);
        Assert.Equal(0, unset.VectorDimension);
        Assert.Equal(4, (await writer.GetSettingsAsync()).VectorDimension);
        Assert.Equal(2, landed.LastVersion);
    }

    [Fact]
    public async Task first_vectors_of_two_dimensions_racing_fix_one_and_refuse_the_other_with_nothing_written()
    {
        var prefix = TestKeys.UniquePrefix();
        await using var first = await StoreFactory.CreateAsync(etcd.Endpoints, o => o.RootPrefix = prefix);
        await using var second = await StoreFactory.CreateAsync(etcd.Endpoints, o => o.RootPrefix = prefix);

        var three = first.AppendToStreamAsync("three", StreamState.NoStream, [WithVector(1, 2, 3)]);
        var four = second.AppendToStreamAsync("four", StreamState.NoStream, [WithVector(1, 2, 3, 4)]);
        var outcomes = await Task.WhenAll(Outcome(three), Outcome(four));
        var dimension = (await first.GetSettingsAsync()).VectorDimension;

        var (winner, loser) = dimension == 3 ? ("three", "four") : ("four", "three");
        var refused = dimension == 3 ? outcomes[1] : outcomes[0];
        Assert.Contains(dimension, new[] { 3, 4 });
        Assert.Null(dimension == 3 ? outcomes[0] : outcomes[1]);
        var invalid = Assert.IsType<InvalidRequestException>(refused);
        Assert.Contains($"vector.dimension is {dimension}", invalid.Message);
        Assert.Single(await StoreFactory.ReadAllOfStreamAsync(first, winner));
        await Assert.ThrowsAsync<StreamNotFoundException>(() => StoreFactory.ReadAllOfStreamAsync(first, loser));
    }

    [Fact]
    public async Task concurrent_first_vectors_of_one_dimension_all_land()
    {
        await using var store = await StoreFactory.CreateAsync(etcd.Endpoints);

        var appends = Enumerable.Range(0, 8).Select(i => store.AppendToStreamAsync($"v-{i}", StreamState.NoStream, [WithVector(i, 1, 2)]));
        var results = await Task.WhenAll(appends);

        Assert.All(results, r => Assert.Equal(0, r.LastVersion));
        Assert.Equal(3, (await store.GetSettingsAsync()).VectorDimension);
    }

    private static async Task<Exception?> Outcome(Task append)
    {
        try
        {
            await append;
            return null;
        }
        catch (FossilException e)
        {
            return e;
        }
    }
}
