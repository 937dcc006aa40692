using Fossil.Kv.Configuration;

namespace Fossil.Kv.Node.Hosting;

/// <summary>The node's own identity settings (<c>Fossil:Node:*</c>), read and checked once at start-up.</summary>
internal sealed record NodeOptions(string Id, TimeSpan LeaseTtl)
{
    private static readonly TimeSpan MinimumLeaseTtl = TimeSpan.FromSeconds(2);

    /// <summary>
    /// <c>Fossil:Node:Id</c> (default: host, process and a random suffix) and <c>Fossil:Node:LeaseTtl</c>
    /// (default 10s): how long a dead node keeps its place in <c>/meta/nodes</c> and its background work.
    /// </summary>
    /// <exception cref="InvalidOperationException">A value is malformed or out of range.</exception>
    public static NodeOptions From(IConfiguration configuration)
    {
        var id = configuration["Fossil:Node:Id"] is { Length: > 0 } configured
            ? configured
            : $"{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..6]}";
        if (id.Contains('/', StringComparison.Ordinal) || id.Any(char.IsControl))
            throw new InvalidOperationException($"Fossil:Node:Id '{id}' must not contain '/' or control characters.");
        var ttl = TimeSpan.FromSeconds(10);
        if (configuration["Fossil:Node:LeaseTtl"] is { } text
            && (!SettingValues.TryParseDuration(text, out ttl) || ttl < MinimumLeaseTtl))
            throw new InvalidOperationException($"Fossil:Node:LeaseTtl '{text}' must be a duration of at least 2s, like 10s.");
        return new NodeOptions(id, ttl);
    }
}
