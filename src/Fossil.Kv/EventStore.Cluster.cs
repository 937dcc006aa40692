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
    /// Claims the cluster-wide background work for the registered node, or confirms it still holds it.
    /// Returns the claim when this node holds the work, null when another live node does (or the node has
    /// no lease yet). The claim lives on the node's lease: it moves to another node when this one dies.
    /// </summary>
    public async Task<BackgroundWorkClaim?> ClaimBackgroundWorkAsync(NodeRegistration registration, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(registration);
        if (registration.Lease is not { } lease) return null;
        await EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        var key = _context.Keys.BackgroundWork;
        var claim = new Etcdserverpb.TxnRequest();
        claim.Compare.Add(Ops.Missing(key));
        claim.Success.Add(new Etcdserverpb.RequestOp { RequestPut = new Etcdserverpb.PutRequest { Key = Ops.Bytes(key), Value = Google.Protobuf.ByteString.CopyFromUtf8(registration.NodeId), Lease = lease.Id } });
        claim.Success.Add(Ops.Get(key));
        claim.Failure.Add(Ops.Get(key));
        var response = await _context.Etcd.TxnAsync(claim, cancellationToken).ConfigureAwait(false);
        var holder = response.Responses[^1].ResponseRange.Kvs;
        if (holder.Count == 0) return null; // the holder's lease expired between compare and read: next round
        var kv = holder[0];
        // The lease, not only the id, must match: after a lost lease the node re-registers on a new one, and
        // the claim made on the old lease is gone with it.
        return kv.Lease == lease.Id && kv.Value.ToStringUtf8() == registration.NodeId
            ? new BackgroundWorkClaim(key, registration.NodeId, kv.CreateRevision)
            : null;
    }

    /// <summary>The id of the node that holds the cluster-wide background work, or null when none does now.</summary>
    public async Task<string?> GetBackgroundWorkHolderAsync(CancellationToken cancellationToken = default)
    {
        await EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        var response = await _context.Etcd.GetAsync(Ops.Bytes(_context.Keys.BackgroundWork), cancellationToken).ConfigureAwait(false);
        return response.Kvs.Count > 0 ? response.Kvs[0].Value.ToStringUtf8() : null;
    }

    /// <summary>
    /// Rotates the window when it has ended, so segments are sealed on time even when nobody writes.
    /// Safe on every node at once: rotation is a compare-and-swap, and the losers adopt the winner's window.
    /// </summary>
    public async Task KeepWindowCurrentAsync(CancellationToken cancellationToken = default)
    {
        await EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        // Fresh settings (at most a few seconds old): a shorter segment.duration ends the window early (SegmentWindows.EndUnder).
        await _catalog.GetSettingsAsync(cancellationToken).ConfigureAwait(false);
        await _catalog.GetCurrentWindowAsync(cancellationToken).ConfigureAwait(false);
    }
}
