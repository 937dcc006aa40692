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

    public Option<bool> Json { get; } = new("--json")
    {
        Description = "machine output: one JSON document on stdout instead of tables (streams tail: one per event, per line)",
        Recursive = true,
    };
}
