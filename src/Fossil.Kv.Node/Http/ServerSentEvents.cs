using System.Buffers;
using System.Text.Json;

namespace Fossil.Kv.Node.Http;

/// <summary>
/// Streams a subscription as Server-Sent Events: one <c>data:</c> line of event JSON per event, its
/// <c>id:</c> the version or position a client resumes from (<c>Last-Event-ID</c>), and a comment line as a
/// heartbeat when nothing happened for a while, so proxies and clients notice a dead connection. Each
/// connection has its own subscription, so a slow client only slows itself.
/// </summary>
internal static class ServerSentEvents
{
    private static readonly TimeSpan Heartbeat = TimeSpan.FromSeconds(15);

    public static async Task StreamAsync(HttpContext context, IAsyncEnumerable<RecordedEvent> events, Func<RecordedEvent, string> id, bool withVectors)
    {
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        await response.Body.FlushAsync(context.RequestAborted);

        var metrics = context.RequestServices.GetRequiredService<Hosting.NodeMetrics>();
        using var tracked = metrics.TrackSubscription();
        var buffer = new ArrayBufferWriter<byte>(1024);
        var enumerator = events.GetAsyncEnumerator(context.RequestAborted);
        var next = enumerator.MoveNextAsync().AsTask();
        try
        {
            while (true)
            {
                // Only an idle subscription needs a heartbeat timer; a busy one has its next event ready.
                if (!next.IsCompleted && !await ArrivesWithinAsync(next, Heartbeat, context.RequestAborted))
                {
                    await response.Body.WriteAsync(": heartbeat\n\n"u8.ToArray(), context.RequestAborted);
                    await response.Body.FlushAsync(context.RequestAborted);
                    continue;
                }
                if (!await next) break;
                var e = enumerator.Current;
                buffer.Clear();
                buffer.Write("id: "u8);
                System.Text.EncodingExtensions.GetBytes(System.Text.Encoding.UTF8, id(e), buffer);
                buffer.Write("\ndata: "u8);
                using (var writer = new Utf8JsonWriter(buffer, EventJson.WriterOptions)) EventJson.WriteEvent(writer, e, withVectors);
                buffer.Write("\n\n"u8);
                await response.Body.WriteAsync(buffer.WrittenMemory, context.RequestAborted);
                metrics.RecordDelivery(e.Timestamp);
                // Flush once the subscription has nothing more ready, so a burst goes out in few packets.
                next = enumerator.MoveNextAsync().AsTask();
                if (!next.IsCompleted) await response.Body.FlushAsync(context.RequestAborted);
            }
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away.
        }
        finally
        {
            // An async iterator cannot be disposed while a MoveNext is pending: let it see the cancellation first.
            try { await next; }
            catch (Exception) when (next.IsCanceled || next.IsFaulted) { /* already reported or the client left */ }
            await enumerator.DisposeAsync();
        }
    }

    /// <summary>Whether <paramref name="next"/> completes within <paramref name="wait"/>; the timer is cancelled either way.</summary>
    private static async Task<bool> ArrivesWithinAsync(Task next, TimeSpan wait, CancellationToken cancellationToken)
    {
        using var timer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var delay = Task.Delay(wait, timer.Token);
        var first = await Task.WhenAny(next, delay);
        await timer.CancelAsync();
        return first == next;
    }
}
