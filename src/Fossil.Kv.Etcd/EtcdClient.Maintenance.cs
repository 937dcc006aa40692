using Etcdserverpb;

namespace Fossil.Kv.Etcd;

public sealed partial class EtcdClient
{
    /// <summary>Status of one member (<paramref name="endpoint"/> is its client URL; need not be in <see cref="EtcdClientOptions.Endpoints"/>).</summary>
    public Task<StatusResponse> StatusAsync(string endpoint, CancellationToken cancellationToken = default) =>
        CallAsync(EtcdMethods.Status, new StatusRequest(), cancellationToken, Endpoints.Find(endpoint));

    /// <summary>Defragments one member's backend. The member blocks while it runs; do one member at a time.</summary>
    public Task<DefragmentResponse> DefragmentAsync(string endpoint, CancellationToken cancellationToken = default) =>
        CallAsync(EtcdMethods.Defragment, new DefragmentRequest(), cancellationToken, Endpoints.Find(endpoint), _options.DefragmentTimeout);

    /// <summary>Gets, activates or deactivates alarms (e.g. DEACTIVATE NOSPACE after compact + defrag).</summary>
    public Task<AlarmResponse> AlarmAsync(AlarmRequest request, CancellationToken cancellationToken = default) =>
        CallAsync(EtcdMethods.Alarm, request, cancellationToken);

    /// <inheritdoc/>
    public Task<MemberListResponse> MemberListAsync(CancellationToken cancellationToken = default) =>
        CallAsync(EtcdMethods.MemberList, new MemberListRequest(), cancellationToken);

    /// <summary>The client URLs this client was configured with.</summary>
    public IReadOnlyList<string> EndpointAddresses => Endpoints.All.Select(e => e.Address).ToArray();
}
