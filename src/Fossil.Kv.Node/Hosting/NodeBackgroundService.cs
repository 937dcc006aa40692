using Fossil.Kv.Cluster;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace Fossil.Kv.Node.Hosting;

/// <summary>
/// The node's background work. Every node registers in <c>/meta/nodes</c> on a lease and materializes the
/// sealed segments it serves. The cluster-wide work — keeping the time window current so segments seal when
/// their window ends even if nobody writes, retention and compaction — runs only on the node that holds the
/// background-work claim (on its lease, fenced in the work's own transactions); when that node dies its lease
/// expires and the next node to tick claims the work.
/// </summary>
internal sealed partial class NodeBackgroundService(
    EventStore store, IServer server, IHostApplicationLifetime lifetime, NodeOptions options, ILogger<NodeBackgroundService> logger) : BackgroundService
{
    private static readonly TimeSpan Tick = TimeSpan.FromSeconds(1);

    /// <summary>The build's version as <c>fossil --version</c> prints it (<c>1.0.0+&lt;commit&gt;</c>), not the bare assembly version.</summary>
    private static readonly string NodeVersion =
        typeof(EventStore).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
            .OfType<System.Reflection.AssemblyInformationalVersionAttribute>().FirstOrDefault()?.InformationalVersion
        ?? typeof(EventStore).Assembly.GetName().Version?.ToString() ?? "0";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // The server's addresses are known only once it listens.
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using (lifetime.ApplicationStarted.Register(() => started.TrySetResult()))
        using (stoppingToken.Register(() => started.TrySetCanceled(stoppingToken)))
        {
            try
            {
                await started.Task;
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
        var urls = server.Features.Get<IServerAddressesFeature>()?.Addresses.ToArray() ?? [];
        var id = options.Id;
        var node = new NodeInfo(id, urls, DateTime.UtcNow, NodeVersion);
        NodeRegistration? registration = null;
        try
        {
            registration = await store.RegisterNodeAsync(node, options.LeaseTtl, stoppingToken);
            LogRegistered(logger, id);
            using var timer = new PeriodicTimer(Tick);
            string? heldBy = null;
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    // Index the active segments from the start (idempotent), so the first search does not wait for the catch-up.
                    await store.StartSearchIndexingAsync(stoppingToken);
                    var claim = await store.ClaimBackgroundWorkAsync(registration, stoppingToken);
                    if (claim?.NodeId != heldBy)
                    {
                        heldBy = claim?.NodeId;
                        if (claim is null) LogWorkReleased(logger, id);
                        else LogWorkClaimed(logger, id, claim.ClaimRevision);
                    }
                    if (claim is not null)
                    {
                        await store.KeepWindowCurrentAsync(stoppingToken);
                        await store.ApplyRetentionAsync(claim, stoppingToken);
                        await store.CompactAsync(claim: claim, cancellationToken: stoppingToken);
                    }
                    await store.MaterializeSealedSegmentsAsync(stoppingToken);
                }
                catch (Exception e) when (!stoppingToken.IsCancellationRequested)
                {
                    // Whatever one round hits (an unreachable etcd, a segment that cannot be materialized) is logged and
                    // retried next round; ending this loop would stop the host and take the node's HTTP API down with it.
                    LogBackgroundFailed(logger, e);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }
        finally
        {
            // Revoking the lease removes the node from /meta/nodes at once instead of after its TTL.
            if (registration is not null) await registration.DisposeAsync();
        }
    }

    [LoggerMessage(EventId = 112, Level = LogLevel.Information, Message = "Node {NodeId} holds the cluster-wide background work (claim revision {Revision})")]
    private static partial void LogWorkClaimed(ILogger logger, string nodeId, long revision);

    [LoggerMessage(EventId = 113, Level = LogLevel.Information, Message = "Node {NodeId} no longer holds the cluster-wide background work")]
    private static partial void LogWorkReleased(ILogger logger, string nodeId);

    [LoggerMessage(EventId = 110, Level = LogLevel.Information, Message = "Registered as node {NodeId} in /meta/nodes")]
    private static partial void LogRegistered(ILogger logger, string nodeId);

    [LoggerMessage(EventId = 111, Level = LogLevel.Warning, Message = "Background work failed; retrying")]
    private static partial void LogBackgroundFailed(ILogger logger, Exception exception);
}
