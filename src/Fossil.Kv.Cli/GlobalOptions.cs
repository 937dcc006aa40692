using System.CommandLine;

namespace Fossil.Kv.Cli;

/// <summary>Options every command takes (they are recursive: valid after any subcommand).</summary>
internal sealed class GlobalOptions
{
    public Option<string?> Etcd { get; } = new("--etcd")
    {
        Description = $"etcd client URLs, comma-separated (default: ${CliApp.EndpointsVariable}, else {CliApp.DefaultEndpoint})",
        HelpName = "urls",
        Recursive = true,
    };

    public Option<string?> Prefix { get; } = new("--prefix")
    {
        Description = "root key prefix of the store (default: none)",
        HelpName = "prefix",
        Recursive = true,
    };

    public Option<string?> EtcdCaCert { get; } = new("--etcd-cacert")
    {
        Description = $"PEM file of the CA that signed etcd's certificates, for https endpoints (default: ${CliApp.CaCertVariable}, else the system's)",
        HelpName = "file",
        Recursive = true,
    };

    public Option<string?> EtcdCert { get; } = new("--etcd-cert")
    {
        Description = $"PEM client certificate for etcd's --client-cert-auth (default: ${CliApp.CertVariable}); needs --etcd-key",
        HelpName = "file",
        Recursive = true,
    };

    public Option<string?> EtcdKey { get; } = new("--etcd-key")
    {
        Description = $"PEM private key of --etcd-cert (default: ${CliApp.KeyVariable})",
        HelpName = "file",
        Recursive = true,
    };

    public Option<string?> EtcdUser { get; } = new("--etcd-user")
    {
        Description = $"etcd user, as NAME or NAME:PASSWORD (default: ${CliApp.UserVariable}); the password may also come from ${CliApp.PasswordVariable}",
        HelpName = "name[:password]",
        Recursive = true,
    };

    public Option<bool> Json { get; } = new("--json")
    {
        Description = "machine output: one JSON document on stdout instead of tables (streams tail: one per event, per line)",
        Recursive = true,
    };
}
