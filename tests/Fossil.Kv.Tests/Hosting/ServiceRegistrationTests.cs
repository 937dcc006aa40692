using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Fossil.Kv.Tests.Hosting;

/// <summary>The store as applications get it: <c>AddFossilKv</c> in a container, configured from <c>Fossil:*</c>.</summary>
[Collection(EtcdCollection.Name)]
public sealed class ServiceRegistrationTests(EtcdFixture etcd)
{
    [Fact]
    public async Task a_host_configured_from_fossil_settings_serves_one_store_and_disposes_it_synchronously()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Fossil:Etcd:Endpoints"] = string.Join(',', etcd.Endpoints.Select(e => e.AbsoluteUri.TrimEnd('/'))),
            ["Fossil:RootPrefix"] = TestKeys.UniquePrefix(),
            ["Fossil:Segment:Partitions"] = "3",
        });
        builder.Services.AddFossilKv(builder.Configuration);
        var host = builder.Build();

        var store = host.Services.GetRequiredService<EventStore>();
        var written = await store.AppendToStreamAsync("hosted", StreamState.NoStream, StoreFactory.Events(2));
        var read = await store.ReadStreamAsync("hosted").ToListAsync();
        var settings = await store.GetSettingsAsync();

        Assert.Same(store, host.Services.GetRequiredService<EventStore>());
        Assert.Equal(1, written.LastVersion);
        Assert.Equal(2, read.Count);
        Assert.Equal(3, settings.SegmentPartitions);
        // A container disposed synchronously (using, Dispose) must not throw for the store or its etcd client.
        host.Dispose();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => store.AppendToStreamAsync("hosted", StreamState.Any, StoreFactory.Events(1)));
    }
}
