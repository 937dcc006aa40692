namespace Fossil.Kv.Cli.Tests;

[CollectionDefinition(Name)]
public sealed class EtcdCollection : ICollectionFixture<EtcdFixture>
{
    public const string Name = "etcd";
}

/// <summary>
/// An etcd that this assembly always starts itself, for the destructive maintenance tests (compact, defrag,
/// alarms): they must never hit an external etcd named in FOSSIL_ETCD_ENDPOINTS that other suites share.
/// </summary>
public sealed class OwnEtcdFixture : IAsyncLifetime
{
    private EtcdCluster? _etcd;

    public IReadOnlyList<Uri> Endpoints => (_etcd ?? throw new InvalidOperationException("not started")).ClientUrls;

    public async Task InitializeAsync() => _etcd = await EtcdCluster.StartAsync(1);

    public async Task DisposeAsync()
    {
        if (_etcd is not null) await _etcd.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class OwnEtcdCollection : ICollectionFixture<OwnEtcdFixture>
{
    public const string Name = "own-etcd";
}
