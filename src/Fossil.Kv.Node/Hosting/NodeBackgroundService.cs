using Fossil.Kv.Cluster;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace Fossil.Kv.Node.Hosting;

/// <summary>
/// The node's own background work: it registers in <c>/meta/nodes</c> on a lease, keeps the time window
/// current so segments seal when their window ends even if nobody writes, and materializes the sealed
/// segments it serves.
/// </summary>
internal sealed partial class NodeBackgroundService(
    EventStore store, IServer server, IHostApplicationLifetime lifetime, IConfiguration configuration, ILogger<NodeBackgroundService> logger) : BackgroundService
{
    private static readonly TimeSpan Tick = TimeSpan.FromSeconds(1);

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
        var id = configuration["Fossil:Node:Id"] is { Length: > 0 } configured ? configured : $"{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..6]}";
        var node = new NodeInfo(id, urls, DateTime.UtcNow, typeof(EventStore).Assembly.GetName().Version?.ToString() ?? "0");
        NodeRegistration? registration = null;
        try
        {
            registration = await store.RegisterNodeAsync(node, TimeSpan.FromSeconds(10), stoppingToken);
            LogRegistered(logger, id);
            using var timer = new PeriodicTimer(Tick);
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    await store.KeepWindowCurrentAsync(stoppingToken);
                    await store.MaterializeSealedSegmentsAsync(stoppingToken);
                    await store.ApplyRetentionAsync(stoppingToken);
                    await store.CompactAsync(cancellationToken: stoppingToken);
                }
                catch (Exception e) when (e is FossilException or Etcd.EtcdException or IOException)
                {
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

    [LoggerMessage(EventId = 110, Level = LogLevel.Information, Message = "Registered as node {NodeId} in /meta/nodes")]
    private static partial void LogRegistered(ILogger logger, string nodeId);

    [LoggerMessage(EventId = 111, Level = LogLevel.Warning, Message = "Background work failed; retrying")]
    private static partial void LogBackgroundFailed(ILogger logger, Exception exception);
}
