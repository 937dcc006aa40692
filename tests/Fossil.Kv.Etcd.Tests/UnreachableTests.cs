using System.Diagnostics;
using static Fossil.Kv.Etcd.Tests.TestClients;

namespace Fossil.Kv.Etcd.Tests;

public sealed class UnreachableTests
{
    private static Uri Closed => new($"http://127.0.0.1:{LocalPorts.GetFree()}");

    [Fact]
    public async Task unreachable_endpoint_fails_fast_with_unavailable()
    {
        await using var client = Create([Closed]);
        var started = Stopwatch.StartNew();

        var error = await Assert.ThrowsAsync<EtcdUnavailableException>(() => client.GetAsync("/k"));

        Assert.True(started.Elapsed < TimeSpan.FromSeconds(6), $"took {started.Elapsed}");
        Assert.Equal(GrpcStatusCode.Unavailable, error.StatusCode);
    }

    [Fact]
    public async Task write_that_never_left_the_client_is_not_an_unknown_outcome()
    {
        await using var client = Create([Closed, Closed]);

        var error = await Assert.ThrowsAsync<EtcdUnavailableException>(() => client.PutAsync("/k", "v"));

        Assert.False(error.MayHaveBeenApplied);
        Assert.Null(error.Request);
    }
}
