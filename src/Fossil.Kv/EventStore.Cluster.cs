using Fossil.Kv.Cluster;
using Fossil.Kv.Keyspace;

namespace Fossil.Kv;

public sealed partial class EventStore
{
    /// <summary>Registers a node in <c>/meta/nodes</c> on a lease, until the returned registration is disposed.</summary>
    public async Task<NodeRegistration> RegisterNodeAsync(NodeInfo node, TimeSpan ttl, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(node);
        await EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        return new NodeRegistration(_context, node, ttl);
    }

    /// <summary>The nodes whose leases are alive.</summary>
    public async Task<IReadOnlyList<NodeInfo>> ListNodesAsync(CancellationToken cancellationToken = default)
    {
        await EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        var prefix = _context.Keys.NodesPrefix;
        var response = await _context.Etcd.RangeAsync(Ops.Range(prefix, KeyLayout.PrefixEnd(prefix)), cancellationToken).ConfigureAwait(false);
        return [.. response.Kvs.Select(kv => NodeInfo.FromJsonBytes(kv.Value.Span))];
    }

    /// <summary>
    /// Rotates the window when it has ended, so segments are sealed on time even when nobody writes.
    /// Safe on every node at once: rotation is a compare-and-swap, and the losers adopt the winner's window.
    /// </summary>
    public async Task KeepWindowCurrentAsync(CancellationToken cancellationToken = default)
    {
        await EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        await _catalog.GetCurrentWindowAsync(cancellationToken).ConfigureAwait(false);
    }
}
