using Xunit;

namespace Fossil.Kv.Testing;

/// <summary>
/// Two etcd members that demand credentials, for the end-to-end security tests: <see cref="MutualTls"/>
/// serves https and demands a client certificate (<c>--client-cert-auth</c>); <see cref="PasswordAuth"/>
/// serves https and has authentication on, with the <c>root</c> user's password <see cref="Password"/>.
/// Always started by the fixture, whatever <c>FOSSIL_ETCD_ENDPOINTS</c> says.
/// </summary>
public sealed class SecuredEtcdFixture : IAsyncLifetime
{
    public const string User = "root";
    public const string Password = "fossil-secret";

    private TlsEtcd? _mutualTls;
    private TlsEtcd? _passwordAuth;

    public TlsEtcd MutualTls => _mutualTls ?? throw new InvalidOperationException("The fixture has not started.");

    public TlsEtcd PasswordAuth => _passwordAuth ?? throw new InvalidOperationException("The fixture has not started.");

    public async Task InitializeAsync()
    {
        _mutualTls = await TlsEtcd.StartAsync(clientCertificateAuth: true).ConfigureAwait(false);
        _passwordAuth = await TlsEtcd.StartAsync(clientCertificateAuth: false).ConfigureAwait(false);
        await EtcdCtl.EnableAuthAsync([_passwordAuth.ClientUrl], Password, ["--cacert", _passwordAuth.Certificates.CaFile]).ConfigureAwait(false);
    }

    /// <summary>etcdctl against <see cref="PasswordAuth"/>, as the root user.</summary>
    public Task<string> PasswordAuthEtcdctlAsync(params string[] args) =>
        EtcdCtl.RunAsync([PasswordAuth.ClientUrl], ["--cacert", PasswordAuth.Certificates.CaFile, "--user", $"{User}:{Password}", .. args]);

    public async Task DisposeAsync()
    {
        if (_mutualTls is not null) await _mutualTls.DisposeAsync().ConfigureAwait(false);
        if (_passwordAuth is not null) await _passwordAuth.DisposeAsync().ConfigureAwait(false);
    }
}
