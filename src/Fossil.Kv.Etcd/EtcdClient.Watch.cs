using Etcdserverpb;

namespace Fossil.Kv.Etcd;

public sealed partial class EtcdClient
{
    /// <summary>
    /// Watches <see cref="WatchCreateRequest.Key"/> (to <c>range_end</c>). All watches of a client share
    /// one bidirectional stream. The first response is the <c>created</c> one; then events in revision
    /// order, each revision once: after a disconnect or member loss the watch is re-created from the
    /// last delivered revision + 1 on another member, and repeats are dropped. A compacted start
    /// revision (also on resume) ends the sequence with <see cref="EtcdCompactedException"/>.
    /// Fragmented responses are reassembled. Progress notifications (no events) are passed through
    /// but do not move the resume revision (etcd 3.4 can send them ahead of pending events).
    /// <see cref="WatchCreateRequest.WatchId"/> is ignored: the client assigns ids.
    /// </summary>
    public IAsyncEnumerable<WatchResponse> WatchAsync(WatchCreateRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        return _watches.WatchAsync(request, cancellationToken);
    }

    /// <summary>Asks etcd for a progress notification on every watch of this client (3.4+).</summary>
    public Task RequestWatchProgressAsync(CancellationToken cancellationToken = default) => _watches.RequestProgressAsync(cancellationToken);
}
