using Etcdserverpb;
using Google.Protobuf;

namespace Fossil.Kv.Etcd;

/// <summary>
/// The etcd v3 operations Fossil.Kv uses. This is the seam for another client: the request and
/// response types are etcd's generated messages (namespaces <c>Etcdserverpb</c>/<c>Mvccpb</c>), the
/// same types dotnet-etcd generates, so an adapter over dotnet-etcd's <c>EtcdClient</c> forwards each
/// call as is. An adapter must keep the failure contract: throw the <see cref="EtcdException"/>
/// family, and set <see cref="EtcdException.MayHaveBeenApplied"/> (or throw
/// <see cref="EtcdUnknownOutcomeException"/>) for a write whose outcome is unknown.
/// </summary>
public interface IEtcdClient : IAsyncDisposable
{
    /// <summary>Reads a key or key range (linearizable unless the request asks for <c>serializable</c>). Safe to retry.</summary>
    Task<RangeResponse> RangeAsync(RangeRequest request, CancellationToken cancellationToken = default);

    /// <summary>Writes one key. A failure whose outcome is unknown sets <see cref="EtcdException.MayHaveBeenApplied"/>.</summary>
    Task<PutResponse> PutAsync(PutRequest request, CancellationToken cancellationToken = default);

    /// <summary>Deletes a key or key range; the same failure contract as <see cref="PutAsync(PutRequest, CancellationToken)"/>.</summary>
    Task<DeleteRangeResponse> DeleteRangeAsync(DeleteRangeRequest request, CancellationToken cancellationToken = default);

    /// <summary>Runs a transaction. A Txn with only Range operations is retried like a read.</summary>
    Task<TxnResponse> TxnAsync(TxnRequest request, CancellationToken cancellationToken = default);

    /// <summary>Discards the history before the request's revision; reads and watches of older revisions then fail.</summary>
    Task<CompactionResponse> CompactAsync(CompactionRequest request, CancellationToken cancellationToken = default);

    /// <summary>Grants a lease of <paramref name="ttlSeconds"/> seconds (etcd may round it up to its minimum); nothing keeps it alive.</summary>
    Task<LeaseGrantResponse> GrantLeaseAsync(long ttlSeconds, CancellationToken cancellationToken = default);

    /// <summary>Revokes a lease, deleting every key attached to it.</summary>
    /// <exception cref="EtcdLeaseNotFoundException">The lease expired or was revoked already.</exception>
    Task RevokeLeaseAsync(long leaseId, CancellationToken cancellationToken = default);

    /// <summary>A lease's granted and remaining TTL (TTL -1 when it does not exist), and its keys when <paramref name="keys"/> is true.</summary>
    Task<LeaseTimeToLiveResponse> LeaseTimeToLiveAsync(long leaseId, bool keys = false, CancellationToken cancellationToken = default);

    /// <summary>Grants a lease and keeps it alive until the returned object is disposed.</summary>
    Task<EtcdLease> CreateLeaseAsync(long ttlSeconds, CancellationToken cancellationToken = default);

    /// <summary>
    /// Watches a key range. Responses come in revision order without duplicates; the watch resumes
    /// by itself after a disconnect or member loss. A compacted start revision ends the sequence
    /// with <see cref="EtcdCompactedException"/>.
    /// </summary>
    IAsyncEnumerable<WatchResponse> WatchAsync(WatchCreateRequest request, CancellationToken cancellationToken = default);

    /// <summary>Status of the one member at <paramref name="endpoint"/> (its client URL): version, leader, database size, raft index.</summary>
    Task<StatusResponse> StatusAsync(string endpoint, CancellationToken cancellationToken = default);

    /// <summary>Defragments the backend of the one member at <paramref name="endpoint"/>; the member blocks while it runs, so do one at a time.</summary>
    Task<DefragmentResponse> DefragmentAsync(string endpoint, CancellationToken cancellationToken = default);

    /// <summary>Lists, activates or deactivates alarms (e.g. deactivates NOSPACE after compacting and defragmenting).</summary>
    Task<AlarmResponse> AlarmAsync(AlarmRequest request, CancellationToken cancellationToken = default);

    /// <summary>The cluster's members with their peer and client URLs.</summary>
    Task<MemberListResponse> MemberListAsync(CancellationToken cancellationToken = default);

    /// <summary>Reads one key; the response holds no <c>Kvs</c> when it does not exist.</summary>
    Task<RangeResponse> GetAsync(ByteString key, CancellationToken cancellationToken = default);

    /// <summary>Reads every key that starts with <paramref name="prefix"/>, in key order.</summary>
    Task<RangeResponse> GetPrefixAsync(ByteString prefix, CancellationToken cancellationToken = default);

    /// <summary>Writes <paramref name="value"/> at <paramref name="key"/>; the failure contract of <see cref="PutAsync(PutRequest, CancellationToken)"/>.</summary>
    Task<PutResponse> PutAsync(ByteString key, ByteString value, CancellationToken cancellationToken = default);
}
