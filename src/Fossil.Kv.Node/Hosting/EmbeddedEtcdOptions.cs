namespace Fossil.Kv.Node.Hosting;

/// <summary>The local etcd a node starts when no endpoints are configured (<c>Fossil:Etcd:Embedded</c>).</summary>
public sealed class EmbeddedEtcdOptions
{
    public const string Section = "Fossil:Etcd:Embedded";

    /// <summary>The etcd binary; found on PATH when not set.</summary>
    public string? Executable { get; set; }

    public string DataDirectory { get; set; } = "./data/etcd";

    public int ClientPort { get; set; } = 2379;

    public int PeerPort { get; set; } = 2380;

    /// <summary>etcd's backend quota: 4 GiB, double the default and half etcd's suggested maximum.</summary>
    public long QuotaBackendBytes { get; set; } = 4L * 1024 * 1024 * 1024;

    /// <summary>
    /// etcd keeps this much history before compacting on its own: a backstop for the store's own compaction,
    /// long enough for watchers that reconnect after a short outage.
    /// </summary>
    public string AutoCompactionRetention { get; set; } = "1h";

    public TimeSpan StartTimeout { get; set; } = TimeSpan.FromSeconds(30);
}
