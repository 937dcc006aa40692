using static Fossil.Kv.Etcd.Tests.TestClients;

namespace Fossil.Kv.Etcd.Tests;

/// <summary>An etcd serving https with client-certificate auth, on certificates made for the test.</summary>
public sealed class TlsTests : IAsyncLifetime
{
    private TlsEtcd _etcd = null!;

    public async Task InitializeAsync() => _etcd = await TlsEtcd.StartAsync(clientCertificateAuth: true);

    private void WithCertificates(EtcdClientOptions o)
    {
        o.CaCertificateFile = _etcd.Certificates.CaFile;
        o.ClientCertificateFile = _etcd.Certificates.ClientCertificateFile;
        o.ClientKeyFile = _etcd.Certificates.ClientKeyFile;
    }

    public async Task DisposeAsync() => await _etcd.DisposeAsync();

    [Fact]
    public async Task https_endpoint_with_ca_and_client_certificate_serves_calls_and_watches()
    {
        await using var client = Create([_etcd.ClientUrl], WithCertificates);
        var put = await client.PutAsync("/tls/k", "v");
        Assert.Equal("v", (await client.GetAsync("/tls/k")).Kvs[0].Value.ToStringUtf8());

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await foreach (var response in client.WatchAsync(new Etcdserverpb.WatchCreateRequest { Key = B("/tls/k"), StartRevision = put.Header.Revision }, cts.Token))
        {
            if (response.Events.Count > 0) break;
        }
    }

    [Fact]
    public async Task https_endpoint_with_an_untrusted_certificate_fails_with_unavailable()
    {
        await using var client = Create([_etcd.ClientUrl], o => o.Retry.MaxRetryDuration = TimeSpan.FromMilliseconds(500));
        var error = await Assert.ThrowsAsync<EtcdUnavailableException>(() => client.PutAsync("/tls/x", "v"));
        Assert.False(error.MayHaveBeenApplied);
    }
}
