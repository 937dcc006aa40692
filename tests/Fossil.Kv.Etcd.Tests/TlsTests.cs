using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using static Fossil.Kv.Etcd.Tests.TestClients;

namespace Fossil.Kv.Etcd.Tests;

/// <summary>An etcd serving https with client-certificate auth, on certificates made for the test.</summary>
public sealed class TlsTests : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fossil-etcd-tls-").FullName;
    private Process? _etcd;
    private Uri _url = null!;

    private string PathOf(string name) => Path.Combine(_dir, name);

    public async Task InitializeAsync()
    {
        var now = DateTimeOffset.UtcNow;
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=fossil-test-ca", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        using var ca = caRequest.CreateSelfSigned(now.AddDays(-1), now.AddDays(1));
        await File.WriteAllTextAsync(PathOf("ca.pem"), ca.ExportCertificatePem());

        await IssueAsync(ca, "server", "CN=127.0.0.1", now, 1);
        await IssueAsync(ca, "client", "CN=root", now, 2);

        var clientPort = LocalPorts.GetFree();
        var peerPort = LocalPorts.GetFree();
        _url = new Uri($"https://127.0.0.1:{clientPort}");
        var peer = $"http://127.0.0.1:{peerPort}";
        var start = new ProcessStartInfo("etcd")
        {
            ArgumentList =
            {
                "--name", "tls", "--data-dir", PathOf("data"),
                "--listen-client-urls", _url.AbsoluteUri.TrimEnd('/'), "--advertise-client-urls", _url.AbsoluteUri.TrimEnd('/'),
                "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer, "--initial-cluster", $"tls={peer}",
                "--cert-file", PathOf("server.pem"), "--key-file", PathOf("server-key.pem"),
                "--client-cert-auth", "--trusted-ca-file", PathOf("ca.pem"), "--log-level", "error", "--logger", "zap",
            },
            UseShellExecute = false,
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        _etcd = Process.Start(start)!;
        _etcd.BeginErrorReadLine();
        _etcd.BeginOutputReadLine();

        await using var probe = Create([_url], WithCertificates);
        await Poll.UntilAsync(async () =>
        {
            try
            {
                await probe.StatusAsync(_url.AbsoluteUri);
                return true;
            }
            catch (EtcdException)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(30), "the TLS etcd serves");
    }

    private async Task IssueAsync(X509Certificate2 ca, string name, string subject, DateTimeOffset now, byte serial)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        san.AddDnsName("localhost");
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], false));
        using var certificate = request.Create(ca, now.AddDays(-1), now.AddDays(1), [serial, 1, 2, 3]);
        await File.WriteAllTextAsync(PathOf($"{name}.pem"), certificate.ExportCertificatePem());
        await File.WriteAllTextAsync(PathOf($"{name}-key.pem"), key.ExportPkcs8PrivateKeyPem());
    }

    private void WithCertificates(EtcdClientOptions o)
    {
        o.CaCertificateFile = PathOf("ca.pem");
        o.ClientCertificateFile = PathOf("client.pem");
        o.ClientKeyFile = PathOf("client-key.pem");
    }

    public async Task DisposeAsync()
    {
        if (_etcd is not null)
        {
            _etcd.Kill();
            await _etcd.WaitForExitAsync();
            _etcd.Dispose();
        }

        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public async Task https_endpoint_with_ca_and_client_certificate_serves_calls_and_watches()
    {
        await using var client = Create([_url], WithCertificates);
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
        await using var client = Create([_url], o => o.Retry.MaxRetryDuration = TimeSpan.FromMilliseconds(500));
        var error = await Assert.ThrowsAsync<EtcdUnavailableException>(() => client.PutAsync("/tls/x", "v"));
        Assert.False(error.MayHaveBeenApplied);
    }
}
