using Etcdserverpb;
using Fossil.Kv.Keyspace;

namespace Fossil.Kv.Cluster;

/// <summary>
/// Proof that this node holds the cluster-wide background work (window rotation, retention, compaction):
/// the key <c>/meta/work</c>, written on the node's lease, names it. The claim dies with the lease, so when
/// the node dies the key vanishes after the lease's TTL and another node claims the work.
/// </summary>
/// <remarks>
/// A node that was paused past its TTL may still believe it holds the work. <see cref="Fence"/> guards
/// against that: each piece of work puts it in its own transaction, so a stale holder's write fails instead
/// of racing the new holder's.
/// </remarks>
public sealed class BackgroundWorkClaim
{
    private readonly byte[] _key;

    internal BackgroundWorkClaim(byte[] key, string nodeId, long claimRevision)
    {
        _key = key;
        NodeId = nodeId;
        ClaimRevision = claimRevision;
    }

    /// <summary>The node that holds the work.</summary>
    public string NodeId { get; }

    /// <summary>The etcd revision that created the claim key; a new claim always has a newer one.</summary>
    public long ClaimRevision { get; }

    /// <summary>True while the claim key is the one this claim created.</summary>
    internal Compare Fence => Ops.CreatedAt(_key, ClaimRevision);

    /// <summary>A read of the claim key to put in a fenced transaction's failure branch.</summary>
    internal RequestOp ReadClaim => Ops.Get(_key);

    /// <summary>Whether the failure branch's read of the claim key still shows this claim.</summary>
    internal bool IsHeldIn(RangeResponse claimRead) => claimRead.Kvs.Count > 0 && claimRead.Kvs[0].CreateRevision == ClaimRevision;
}

/// <summary>The node no longer holds the background work it was doing (its lease expired and another node claimed it).</summary>
public sealed class BackgroundWorkLostException(string nodeId)
    : FossilException("background_work_lost", $"Node {nodeId} no longer holds the cluster-wide background work; another node does it now.")
{
}
