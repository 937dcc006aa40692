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
    Task<RangeResponse> RangeAsync(RangeRequest request, CancellationToken cancellationToken = default);

    Task<PutResponse> PutAsync(PutRequest request, CancellationToken cancellationToken = default);

    Task<DeleteRangeResponse> DeleteRangeAsync(DeleteRangeRequest request, CancellationToken cancellationToken = default);

    /// <summary>Runs a transaction. A Txn with only Range operations is retried like a read.</summary>
    Task<TxnResponse> TxnAsync(TxnRequest request, CancellationToken cancellationToken = default);

    Task<CompactionResponse> CompactAsync(CompactionRequest request, CancellationToken cancellationToken = default);

    Task<LeaseGrantResponse> GrantLeaseAsync(long ttlSeconds, CancellationToken cancellationToken = default);

    Task RevokeLeaseAsync(long leaseId, CancellationToken cancellationToken = default);

    Task<LeaseTimeToLiveResponse> LeaseTimeToLiveAsync(long leaseId, bool keys = false, CancellationToken cancellationToken = default);

    /// <summary>Grants a lease and keeps it alive until the returned object is disposed.</summary>
    Task<EtcdLease> CreateLeaseAsync(long ttlSeconds, CancellationToken cancellationToken = default);

    /// <summary>
    /// Watches a key range. Responses come in revision order without duplicates; the watch resumes
    /// by itself after a disconnect or member loss. A compacted start revision ends the sequence
    /// with <see cref="EtcdCompactedException"/>.
    /// </summary>
    IAsyncEnumerable<WatchResponse> WatchAsync(WatchCreateRequest request, CancellationToken cancellationToken = default);

    Task<StatusResponse> StatusAsync(string endpoint, CancellationToken cancellationToken = default);

    Task<DefragmentResponse> DefragmentAsync(string endpoint, CancellationToken cancellationToken = default);

    Task<AlarmResponse> AlarmAsync(AlarmRequest request, CancellationToken cancellationToken = default);

    Task<MemberListResponse> MemberListAsync(CancellationToken cancellationToken = default);

    Task<RangeResponse> GetAsync(ByteString key, CancellationToken cancellationToken = default);

    Task<RangeResponse> GetPrefixAsync(ByteString prefix, CancellationToken cancellationToken = default);

    Task<PutResponse> PutAsync(ByteString key, ByteString value, CancellationToken cancellationToken = default);
}
