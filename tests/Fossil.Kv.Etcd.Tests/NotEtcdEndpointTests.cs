using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using static Fossil.Kv.Etcd.Tests.TestClients;

namespace Fossil.Kv.Etcd.Tests;

/// <summary>
/// An endpoint that answers HTTP/2 but is not etcd (a proxy or another web server answering 404): etcd never
/// saw the call, so the client fails over to the next endpoint instead of giving up. The stand-in is a
/// Kestrel server; the etcd behind the next endpoint is real.
/// </summary>
[Collection(EtcdCollection.Name)]
public sealed class NotEtcdEndpointTests(EtcdFixture etcd)
{
    [Fact]
    public async Task an_endpoint_answering_http_404_is_failed_over_and_a_write_through_it_is_no_unknown_outcome()
    {
        var port = LocalPorts.GetFree();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.ConfigureKestrel(k => k.ListenLocalhost(port, l => l.Protocols = HttpProtocols.Http2));
        await using var proxy = builder.Build();
        proxy.Run(context =>
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return Task.CompletedTask;
        });
        await proxy.StartAsync();
        var notEtcd = new Uri($"http://127.0.0.1:{port}");

        await using (var alone = Create([notEtcd]))
        {
            var refused = await Assert.ThrowsAsync<EtcdUnavailableException>(() => alone.PutAsync("/not-etcd/k", "v"));
            Assert.False(refused.MayHaveBeenApplied);
            Assert.Contains("HTTP status 404", refused.Message, StringComparison.Ordinal);
        }
        await using var client = Create([notEtcd, .. etcd.Endpoints]);
        var key = $"/not-etcd/{Guid.NewGuid():N}";
        await client.PutAsync(key, "v");
        var read = await client.GetAsync(key);

        Assert.Equal("v", Assert.Single(read.Kvs).Value.ToStringUtf8());
    }
}
