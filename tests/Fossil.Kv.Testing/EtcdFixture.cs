using Xunit;

namespace Fossil.Kv.Testing;

/// <summary>
/// A real etcd for a test collection: the one named in <c>FOSSIL_ETCD_ENDPOINTS</c> when set (comma
/// separated URLs), otherwise a single member this fixture starts and stops. Each test takes its own
/// key prefix from <see cref="TestKeys.UniquePrefix"/>.
/// </summary>
public sealed class EtcdFixture : IAsyncLifetime
{
    public const string EndpointsVariable = "FOSSIL_ETCD_ENDPOINTS";

    private EtcdCluster? _own;

    public IReadOnlyList<Uri> Endpoints { get; private set; } = [];

    /// <summary>True when the tests run against an etcd the fixture did not start (and cannot kill).</summary>
    public bool IsExternal => _own is null;

    public static IReadOnlyList<Uri>? ExternalEndpoints =>
        Environment.GetEnvironmentVariable(EndpointsVariable) is { Length: > 0 } value
            ? [.. value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(e => new Uri(e))]
            : null;

    public async Task InitializeAsync()
    {
        if (ExternalEndpoints is { } external)
        {
            Endpoints = external;
            return;
        }
        _own = await EtcdCluster.StartAsync(1).ConfigureAwait(false);
        Endpoints = _own.ClientUrls;
    }

    public async Task DisposeAsync()
    {
        if (_own is not null) await _own.DisposeAsync().ConfigureAwait(false);
    }
}

/// <summary>
/// Three etcd members this fixture always starts itself (fault injection needs processes it owns),
/// whatever <c>FOSSIL_ETCD_ENDPOINTS</c> says. Tests that kill or pause members must bring them back
/// before they end, so the next test in the collection starts from a healthy cluster.
/// </summary>
public sealed class EtcdClusterFixture : IAsyncLifetime
{
    private EtcdCluster? _cluster;

    public EtcdCluster Cluster => _cluster ?? throw new InvalidOperationException("The cluster fixture has not started.");

    public IReadOnlyList<EtcdMember> Members => Cluster.Members;

    public IReadOnlyList<Uri> Endpoints => Cluster.ClientUrls;

    /// <summary>Resumes paused members and restarts killed ones, then waits until all are healthy.</summary>
    public async Task HealAsync()
    {
        foreach (var member in Members)
        {
            if (!member.IsRunning) await member.RestartAsync().ConfigureAwait(false);
            else member.Resume();
        }
        foreach (var member in Members) await member.WaitHealthyAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
    }

    public async Task InitializeAsync() => _cluster = await EtcdCluster.StartAsync(3).ConfigureAwait(false);

    public async Task DisposeAsync()
    {
        if (_cluster is not null) await _cluster.DisposeAsync().ConfigureAwait(false);
    }
}
