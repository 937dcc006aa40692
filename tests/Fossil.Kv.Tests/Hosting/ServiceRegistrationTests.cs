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

    [Fact]
    public async Task vector_and_hnsw_settings_in_configuration_seed_a_new_store_and_unset_ones_keep_the_defaults()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Fossil:Etcd:Endpoints"] = string.Join(',', etcd.Endpoints.Select(e => e.AbsoluteUri.TrimEnd('/'))),
            ["Fossil:RootPrefix"] = TestKeys.UniquePrefix(),
            ["Fossil:Vector:Dimension"] = "8",
            ["Fossil:Vector:Metric"] = "l2",
            ["Fossil:Hnsw:EfSearch"] = "50",
        });
        builder.Services.AddFossilKv(builder.Configuration);
        using var host = builder.Build();

        var settings = await host.Services.GetRequiredService<EventStore>().GetSettingsAsync();

        Assert.Equal((8, "l2", 50), (settings.VectorDimension, settings.VectorMetric, settings.HnswEfSearch));
        Assert.Equal((new Fossil.Kv.Configuration.StoreSettings().HnswM, new Fossil.Kv.Configuration.StoreSettings().HnswEfConstruction), (settings.HnswM, settings.HnswEfConstruction));
    }

    [Theory]
    [InlineData("ftp://127.0.0.1:2379")]
    [InlineData("+")]
    public void an_etcd_endpoint_that_is_not_an_http_url_is_named(string endpoint)
    {
        var options = new Etcd.EtcdClientOptions { Endpoints = ["http://127.0.0.1:2379", endpoint] };

        var error = Assert.Throws<ArgumentException>(options.ValidateEndpoints);

        Assert.Contains($"'{endpoint}' is not an etcd endpoint", error.Message, StringComparison.Ordinal);
    }
}
