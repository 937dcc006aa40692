using System.Text.Json;
using Etcdserverpb;
using Fossil.Kv.Etcd;
using Fossil.Kv.Keyspace;

namespace Fossil.Kv.Cluster;

/// <summary>A live node as it registers itself in <c>/meta/nodes/&lt;id&gt;</c>.</summary>
public sealed record NodeInfo(string Id, IReadOnlyList<string> Urls, DateTime StartedAt, string Version)
{
    /// <summary>The value of the node's key: compact JSON with snake_case names (<c>id</c>, <c>urls</c>, <c>started_at</c>, <c>version</c>).</summary>
    public byte[] ToJsonBytes() => JsonSerializer.SerializeToUtf8Bytes(this, FossilJson.Compact);

    /// <summary>
    /// The public list of nodes, as <c>GET /nodes</c> and <c>fossil nodes list --json</c> show it:
    /// <c>{"nodes": [...], "background_work": id or null}</c>.
    /// </summary>
    public static void WriteListJson(Utf8JsonWriter writer, IReadOnlyList<NodeInfo> nodes, string? backgroundWorkHolder)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartObject();
        WriteListProperties(writer, nodes, backgroundWorkHolder);
        writer.WriteEndObject();
    }

    /// <summary>The <c>"nodes"</c> and <c>"background_work"</c> properties of <see cref="WriteListJson"/>, inside an object the caller writes (as <c>fossil status --json</c> does).</summary>
    public static void WriteListProperties(Utf8JsonWriter writer, IReadOnlyList<NodeInfo> nodes, string? backgroundWorkHolder)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(nodes);
        writer.WriteStartArray("nodes");
        foreach (var node in nodes) node.WriteJson(writer, node.Id == backgroundWorkHolder);
        writer.WriteEndArray();
        if (backgroundWorkHolder is null) writer.WriteNull("background_work");
        else writer.WriteString("background_work", backgroundWorkHolder);
    }

    private void WriteJson(Utf8JsonWriter writer, bool holdsBackgroundWork)
    {
        writer.WriteStartObject();
        writer.WriteString("id", Id);
        writer.WriteStartArray("urls");
        foreach (var url in Urls) writer.WriteStringValue(url);
        writer.WriteEndArray();
        writer.WriteString("started_at", StartedAt);
        writer.WriteString("version", Version);
        writer.WriteBoolean("holds_background_work", holdsBackgroundWork);
        writer.WriteEndObject();
    }

    /// <summary>Reads what <see cref="ToJsonBytes"/> wrote.</summary>
    /// <exception cref="JsonException">The bytes are not a node record.</exception>
    public static NodeInfo FromJsonBytes(ReadOnlySpan<byte> json) =>
        JsonSerializer.Deserialize<NodeInfo>(json, FossilJson.Compact) ?? throw new JsonException("node record is null");
}

/// <summary>
/// Keeps a node's key in <c>/meta/nodes</c> alive on a lease: the key vanishes when the node dies (the
/// lease expires) and is revoked when it stops. If the lease is lost while the node still runs (a long
/// partition), it registers again on a new lease.
/// </summary>
public sealed class NodeRegistration : IAsyncDisposable
{
    private readonly StoreContext _context;
    private readonly NodeInfo _node;
    private readonly long _ttlSeconds;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _loop;
    private volatile EtcdLease? _lease;

    internal NodeRegistration(StoreContext context, NodeInfo node, TimeSpan ttl)
    {
        _context = context;
        _node = node;
        _ttlSeconds = Math.Max(2, (long)ttl.TotalSeconds);
        _loop = Task.Run(RunAsync);
    }

    /// <summary>The registered node's id.</summary>
    public string NodeId => _node.Id;

    /// <summary>The lease the node's key lives on now; the background-work claim lives on it too.</summary>
    public EtcdLease? Lease => _lease;

    private async Task RunAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            try
            {
                var lease = await _context.Etcd.CreateLeaseAsync(_ttlSeconds, _stopping.Token).ConfigureAwait(false);
                var put = new PutRequest { Key = Ops.Bytes(_context.Keys.Node(_node.Id)), Value = Ops.Bytes(_node.ToJsonBytes()), Lease = lease.Id };
                await _context.Etcd.PutAsync(put, _stopping.Token).ConfigureAwait(false);
                var previous = _lease;
                _lease = lease;
                if (previous is not null) await previous.DisposeAsync().ConfigureAwait(false);
                using var watch = CancellationTokenSource.CreateLinkedTokenSource(lease.Lost, _stopping.Token);
                await Task.Delay(Timeout.Infinite, watch.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!_stopping.IsCancellationRequested)
            {
                // The lease was lost: register again.
            }
            catch (OperationCanceledException)
            {
                break;
            }
            catch (EtcdException)
            {
                await Task.Delay(TimeSpan.FromSeconds(1), CancellationToken.None).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Stops re-registering and revokes the lease (best effort), so the node's key leaves <c>/meta/nodes</c> at once
    /// rather than when the lease expires. Call it once.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        if (_lease is { } lease) await lease.DisposeAsync().ConfigureAwait(false);
        _stopping.Dispose();
    }
}
