using System.Diagnostics;

namespace Fossil.Kv.Testing;

/// <summary>
/// One etcd member serving clients over https with certificates from <see cref="TestCertificates"/>;
/// with <c>clientCertificateAuth</c> it also demands a client certificate (<c>--client-cert-auth</c>).
/// </summary>
public sealed class TlsEtcd : IAsyncDisposable
{
    private const int StartAttempts = 3;
    private readonly string _root;
    private Process? _process;

    private TlsEtcd(string root, TestCertificates certificates, Uri clientUrl, bool clientCertificateAuth)
    {
        _root = root;
        Certificates = certificates;
        ClientUrl = clientUrl;
        ClientCertificateAuth = clientCertificateAuth;
    }

    public TestCertificates Certificates { get; }

    public Uri ClientUrl { get; }

    /// <summary>The client URL without a trailing slash, as configuration and <c>--etcd</c> take it.</summary>
    public string Endpoint => ClientUrl.AbsoluteUri.TrimEnd('/');

    public bool ClientCertificateAuth { get; }

    private string LogPath => Path.Combine(_root, "etcd.log");

    public static async Task<TlsEtcd> StartAsync(bool clientCertificateAuth, TimeSpan? timeout = null)
    {
        for (var attempt = 1; ; attempt++)
        {
            var root = Directory.CreateTempSubdirectory("fossil-etcd-tls-").FullName;
            var certificates = await TestCertificates.CreateAsync(Path.Combine(root, "certs")).ConfigureAwait(false);
            var etcd = new TlsEtcd(root, certificates, new Uri($"https://127.0.0.1:{LocalPorts.GetFree()}"), clientCertificateAuth);
            try
            {
                etcd.Start(LocalPorts.GetFree());
                await etcd.WaitHealthyAsync(timeout ?? TimeSpan.FromSeconds(30)).ConfigureAwait(false);
                return etcd;
            }
            catch (InvalidOperationException) when (attempt < StartAttempts)
            {
                // A port taken between choosing and binding it: try again on new ports.
                await etcd.DisposeAsync().ConfigureAwait(false);
            }
            catch
            {
                await etcd.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        }
    }

    /// <summary>etcdctl arguments that reach this member: the CA, and the client certificate when it demands one.</summary>
    public IReadOnlyList<string> EtcdctlTlsArguments =>
        ["--cacert", Certificates.CaFile, "--cert", Certificates.ClientCertificateFile, "--key", Certificates.ClientKeyFile];

    /// <summary>Runs etcdctl against this member over TLS.</summary>
    public Task<string> EtcdctlAsync(params string[] args) => EtcdCtl.RunAsync([ClientUrl], [.. EtcdctlTlsArguments, .. args]);

    private void Start(int peerPort)
    {
        var peer = $"http://127.0.0.1:{peerPort}";
        var args = new List<string>
        {
            "--name", "tls", "--data-dir", Path.Combine(_root, "data"),
            "--listen-client-urls", Endpoint, "--advertise-client-urls", Endpoint,
            "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer, "--initial-cluster", $"tls={peer}",
            "--cert-file", Certificates.ServerCertificateFile, "--key-file", Certificates.ServerKeyFile,
            "--logger", "zap", "--log-outputs", "stderr", "--log-level", "warn",
        };
        // etcd asks every client for a certificate once it has a trusted CA, so only the mutual-TLS member gets one.
        if (ClientCertificateAuth) args.AddRange(["--client-cert-auth", "--trusted-ca-file", Certificates.CaFile]);
        var start = new ProcessStartInfo("/bin/sh")
        {
            // exec keeps the pid, so a kill reaches etcd itself rather than a shell.
            ArgumentList = { "-c", $"exec '{EtcdBinaries.Etcd}' {string.Join(' ', args.Select(a => $"'{a}'"))} >>'{LogPath}' 2>&1" },
            UseShellExecute = false,
        };
        _process = Process.Start(start) ?? throw new InvalidOperationException("Could not start etcd.");
        EtcdMember.StartWatchdog(_process.Id);
    }

    private Task WaitHealthyAsync(TimeSpan timeout) =>
        Poll.UntilAsync(async () =>
        {
            if (_process is { HasExited: true })
                throw new InvalidOperationException($"the TLS etcd exited while starting: {File.ReadAllText(LogPath)}");
            try
            {
                await EtcdctlAsync("endpoint", "health").ConfigureAwait(false);
                return true;
            }
            catch (InvalidOperationException)
            {
                return false;
            }
        }, timeout, $"the TLS etcd at {ClientUrl} is healthy");

    public async ValueTask DisposeAsync()
    {
        if (_process is not null)
        {
            if (!_process.HasExited)
            {
                _process.Kill();
                await _process.WaitForExitAsync().ConfigureAwait(false);
            }
            _process.Dispose();
            _process = null;
        }
        try { Directory.Delete(_root, recursive: true); }
        catch (IOException) { /* the OS cleans the temp dir */ }
    }
}
