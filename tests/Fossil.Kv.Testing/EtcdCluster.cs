namespace Fossil.Kv.Testing;

/// <summary>A single etcd member or a cluster of several on loopback ports, with data in a temporary directory.</summary>
public sealed class EtcdCluster : IAsyncDisposable
{
    private const int StartAttempts = 3;
    private readonly string _root;

    private EtcdCluster(string root, IReadOnlyList<EtcdMember> members)
    {
        _root = root;
        Members = members;
    }

    public IReadOnlyList<EtcdMember> Members { get; }

    public IReadOnlyList<Uri> ClientUrls => [.. Members.Select(m => m.ClientUrl)];

    /// <summary>Starts <paramref name="size"/> members and waits until every one is healthy.</summary>
    /// <param name="size">Number of members.</param>
    /// <param name="timeout">How long each member may take to become healthy.</param>
    /// <param name="extraArguments">More etcd flags for every member, e.g. <c>--quota-backend-bytes=16777216</c>.</param>
    public static async Task<EtcdCluster> StartAsync(int size = 1, TimeSpan? timeout = null, IReadOnlyList<string>? extraArguments = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        for (var attempt = 1; ; attempt++)
        {
            var root = Directory.CreateTempSubdirectory("fossil-etcd-").FullName;
            var cluster = Create(root, size, extraArguments ?? []);
            try
            {
                foreach (var member in cluster.Members) member.Start();
                foreach (var member in cluster.Members)
                    await member.WaitHealthyAsync(timeout ?? TimeSpan.FromSeconds(30)).ConfigureAwait(false);
                return cluster;
            }
            catch (EtcdStartException) when (attempt < StartAttempts)
            {
                // A free port can be taken between choosing it and etcd binding it: start over on new ports.
                await cluster.DisposeAsync().ConfigureAwait(false);
            }
            catch
            {
                await cluster.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        }
    }

    private static EtcdCluster Create(string root, int size, IReadOnlyList<string> extraArguments)
    {
        var token = "fossil-" + Guid.NewGuid().ToString("N")[..8];
        var ports = Enumerable.Range(0, size).Select(_ => (Client: LocalPorts.GetFree(), Peer: LocalPorts.GetFree())).ToArray();
        var initialCluster = string.Join(',', ports.Select((p, i) => $"m{i}=http://127.0.0.1:{p.Peer}"));
        var members = ports
            .Select((p, i) => new EtcdMember($"m{i}", p.Client, p.Peer, Path.Combine(root, $"m{i}"), initialCluster, token, extraArguments))
            .ToArray();
        return new EtcdCluster(root, members);
    }

    /// <summary>The member that currently leads, found by asking each running member's status endpoint.</summary>
    public async Task<EtcdMember> FindLeaderAsync(TimeSpan? timeout = null)
    {
        EtcdMember? leader = null;
        await Poll.UntilAsync(async () =>
        {
            foreach (var member in Members)
            {
                if (await EtcdCtl.IsLeaderAsync(member).ConfigureAwait(false))
                {
                    leader = member;
                    return true;
                }
            }
            return false;
        }, timeout ?? TimeSpan.FromSeconds(30), "the cluster has a leader").ConfigureAwait(false);
        return leader!;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var member in Members) await member.DisposeAsync().ConfigureAwait(false);
        try { Directory.Delete(_root, recursive: true); }
        catch (IOException) { /* a member's files may still be closing; the temp dir is cleaned by the OS. */ }
    }
}
