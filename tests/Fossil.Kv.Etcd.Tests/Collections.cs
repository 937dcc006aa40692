using Fossil.Kv.Etcd;
using Google.Protobuf;

namespace Fossil.Kv.Etcd.Tests;

[CollectionDefinition(Name)]
public sealed class EtcdCollection : ICollectionFixture<EtcdFixture>
{
    public const string Name = "etcd";
}

[CollectionDefinition(Name)]
public sealed class EtcdClusterCollection : ICollectionFixture<EtcdClusterFixture>
{
    public const string Name = "etcd-cluster";
}

/// <summary>Tests that need a member they own (pause it, compact it, raise alarms): never an external etcd.</summary>
[CollectionDefinition(Name)]
public sealed class OwnEtcdCollection : ICollectionFixture<OwnEtcdFixture>
{
    public const string Name = "own-etcd";
}

public sealed class OwnEtcdFixture : IAsyncLifetime
{
    private EtcdCluster? _cluster;

    public EtcdCluster Cluster => _cluster!;

    public EtcdMember Member => Cluster.Members[0];

    public async Task InitializeAsync() => _cluster = await EtcdCluster.StartAsync(1);

    public async Task DisposeAsync()
    {
        if (_cluster is not null) await _cluster.DisposeAsync();
    }
}

internal static class TestClients
{
    public static EtcdClient Create(IEnumerable<Uri> endpoints, Action<EtcdClientOptions>? configure = null)
    {
        var options = new EtcdClientOptions { Endpoints = [.. endpoints.Select(e => e.AbsoluteUri.TrimEnd('/'))] };
        configure?.Invoke(options);
        return new EtcdClient(options);
    }

    public static ByteString B(string s) => ByteString.CopyFromUtf8(s);
}
