using Etcdserverpb;

namespace Fossil.Kv.Etcd;

public sealed partial class EtcdClient
{
    /// <summary>Grants a lease (the server may round the TTL up to its minimum). Retried on transient failures.</summary>
    public async Task<LeaseGrantResponse> GrantLeaseAsync(long ttlSeconds, CancellationToken cancellationToken = default)
    {
        var response = await CallAsync(EtcdMethods.LeaseGrant, new LeaseGrantRequest { TTL = ttlSeconds }, cancellationToken).ConfigureAwait(false);
        if (!string.IsNullOrEmpty(response.Error))
            throw EtcdErrorTranslator.FromStatus(GrpcStatusCode.Unknown, response.Error);
        return response;
    }

    /// <summary>Revokes a lease, deleting its keys. Throws <see cref="EtcdLeaseNotFoundException"/> when it is already gone.</summary>
    public Task RevokeLeaseAsync(long leaseId, CancellationToken cancellationToken = default) =>
        CallAsync(EtcdMethods.LeaseRevoke, new LeaseRevokeRequest { ID = leaseId }, cancellationToken);

    /// <summary>Remaining TTL of a lease (TTL -1 when it does not exist).</summary>
    public Task<LeaseTimeToLiveResponse> LeaseTimeToLiveAsync(long leaseId, bool keys = false, CancellationToken cancellationToken = default) =>
        CallAsync(EtcdMethods.LeaseTimeToLive, new LeaseTimeToLiveRequest { ID = leaseId, Keys = keys }, cancellationToken);

    /// <inheritdoc/>
    public async Task<EtcdLease> CreateLeaseAsync(long ttlSeconds, CancellationToken cancellationToken = default)
    {
        var granted = await GrantLeaseAsync(ttlSeconds, cancellationToken).ConfigureAwait(false);
        return KeepAlive(granted.ID, granted.TTL);
    }

    internal void Forget(EtcdLease lease) => _leases.TryRemove(lease, out _);

    /// <summary>Starts keeping an existing lease alive (one LeaseKeepAlive stream per lease).</summary>
    public EtcdLease KeepAlive(long leaseId, long ttlSeconds)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        var lease = new EtcdLease(this, leaseId, ttlSeconds);
        _leases.TryAdd(lease, 0);
        return lease;
    }
}
