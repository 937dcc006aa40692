using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Fossil.Kv.Configuration;
using Fossil.Kv.Segments;

namespace Fossil.Kv.Node.Http;

/// <summary><c>/meta/config</c>, <c>/segments</c> and the health endpoints.</summary>
internal static class AdminEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        // The ETag is the etcd revision of the settings' last change; a PUT with If-Match applies only at that revision.
        app.MapGet("/meta/config", async (HttpContext context, EventStore store) =>
        {
            var (settings, revision) = await store.GetVersionedSettingsAsync(context.RequestAborted);
            context.Response.Headers.ETag = SettingsETag(revision);
            await StreamEndpoints.WriteJsonAsync(context, StatusCodes.Status200OK, writer => WriteSettings(writer, settings));
        });
        app.MapPut("/meta/config", async (HttpContext context, EventStore store) =>
        {
            var body = await RequestBody.ReadAsync(context);
            JsonObject changes;
            try
            {
                // A setting named twice is refused here, by the parser, rather than failing later as the object is read.
                changes = JsonNode.Parse(body.Span, documentOptions: new JsonDocumentOptions { AllowDuplicateProperties = false }) as JsonObject
                    ?? throw new InvalidRequestException("The body must be a JSON object of settings, e.g. {\"segment.duration\": \"1h\"}.");
            }
            catch (JsonException e)
            {
                throw new InvalidRequestException($"The body is not valid JSON ({e.Message}).");
            }
            var ifMatch = context.Request.Headers.IfMatch.ToString().Trim();
            // If-Match compares strongly (RFC 9110 §13.1.1): a weak tag matches nothing, so the precondition fails, saying why.
            if (ifMatch.StartsWith("W/", StringComparison.Ordinal))
            {
                var (_, current) = await store.GetVersionedSettingsAsync(context.RequestAborted);
                throw new SettingsChangedException(0, current,
                    $"If-Match holds a weak ETag ({ifMatch}), which never matches: If-Match compares strongly. Send the ETag exactly as GET /meta/config answered it (\"{current}\" now).");
            }
            var update = ExpectedSettingsRevision(context.Request) is { } expected
                ? await store.UpdateSettingsAsync(changes, expected, context.RequestAborted)
                : await store.UpdateSettingsAsync(changes, context.RequestAborted);
            context.Response.Headers.ETag = SettingsETag(update.Revision);
            await StreamEndpoints.WriteJsonAsync(context, StatusCodes.Status200OK, writer => WriteSettings(writer, update.After));
        });

        app.MapGet("/segments", async (HttpContext context, EventStore store) =>
        {
            var status = QueryValues.Text(context.Request.Query["status"]);
            // A dropped segment's record leaves the catalog, so "dropped" would always list nothing: refused, saying why.
            SegmentStatus? wanted = status is null ? null
                : Enum.TryParse<SegmentStatus>(status, ignoreCase: true, out var parsed) && parsed != SegmentStatus.Dropped && Enum.IsDefined(parsed) && !int.TryParse(status, out _) ? parsed
                : throw new InvalidRequestException(
                    $"status must be active, sealed or expiring (got '{status}'); evicting a segment deletes its record, so no dropped segment is listed.");
            var segments = await store.ListSegmentsAsync(context.RequestAborted);
            await StreamEndpoints.WriteJsonAsync(context, StatusCodes.Status200OK, writer =>
            {
                writer.WriteStartObject();
                writer.WriteStartArray("segments");
                foreach (var segment in segments.Where(s => wanted is null || s.Status == wanted)) WriteSegment(writer, store, segment);
                writer.WriteEndArray();
                writer.WriteEndObject();
            });
        });
        app.MapGet("/segments/{sid}", async (HttpContext context, EventStore store, string sid) =>
        {
            EnsureSegmentId(sid);
            var segment = await store.GetSegmentAsync(sid, context.RequestAborted);
            await StreamEndpoints.WriteJsonAsync(context, StatusCodes.Status200OK, writer => WriteSegment(writer, store, segment));
        });

        app.MapPost("/segments/{sid}/seal", async (HttpContext context, EventStore store, string sid) =>
        {
            EnsureSegmentId(sid);
            var segment = await store.SealSegmentAsync(sid, context.RequestAborted);
            await StreamEndpoints.WriteJsonAsync(context, StatusCodes.Status200OK, writer => WriteSegment(writer, store, segment));
        });

        app.MapDelete("/segments/{sid}", async (HttpContext context, EventStore store, string sid) =>
        {
            EnsureSegmentId(sid);
            await store.GetSegmentAsync(sid, context.RequestAborted);
            await store.EvictSegmentAsync(sid, context.RequestAborted);
            await StreamEndpoints.WriteJsonAsync(context, StatusCodes.Status200OK, writer =>
            {
                writer.WriteStartObject();
                writer.WriteString("segment_id", sid);
                writer.WriteString("status", "dropped");
                writer.WriteEndObject();
            });
        });

        app.MapGet("/nodes", async (HttpContext context, EventStore store) =>
        {
            var nodes = await store.ListNodesAsync(context.RequestAborted);
            var holder = await store.GetBackgroundWorkHolderAsync(context.RequestAborted);
            await StreamEndpoints.WriteJsonAsync(context, StatusCodes.Status200OK, writer => Cluster.NodeInfo.WriteListJson(writer, nodes, holder));
        });

        app.MapGet("/health/live", () => Results.Json(new { status = "live" }));
        app.MapGet("/health/ready", async (HttpContext context, EventStore store) =>
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
            timeout.CancelAfter(TimeSpan.FromSeconds(3));
            bool reachable;
            try
            {
                reachable = await store.IsEtcdReachableAsync(timeout.Token);
            }
            catch (OperationCanceledException) when (!context.RequestAborted.IsCancellationRequested)
            {
                // etcd did not answer within the probe's time (a paused or partitioned member): not ready, not a failure.
                reachable = false;
            }
            return reachable
                ? Results.Json(new { status = "ready" })
                : Results.Json(new { error = "unavailable", message = "etcd is not reachable." }, statusCode: StatusCodes.Status503ServiceUnavailable);
        });
    }

    /// <summary>A malformed id is a bad request (400), not a segment that happens to be missing (404).</summary>
    private static void EnsureSegmentId(string sid)
    {
        if (!SegmentId.TryParse(sid, out _))
            throw new InvalidRequestException($"'{sid}' is not a segment id (expected e.g. 20261122T000000Z-p03-g000).");
    }

    private static void WriteSettings(Utf8JsonWriter writer, StoreSettings settings)
    {
        writer.WriteStartObject();
        foreach (var (name, value) in settings.ToPairs())
        {
            if (long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var number)) writer.WriteNumber(name, number);
            else writer.WriteString(name, value);
        }
        writer.WriteEndObject();
    }

    /// <summary>The ETag of <c>/meta/config</c> at a revision: the revision, quoted.</summary>
    internal static string SettingsETag(long revision) => $"\"{revision.ToString(CultureInfo.InvariantCulture)}\"";

    /// <summary>
    /// The revision an <c>If-Match</c> header names (<c>"123"</c>, as GET's ETag), null without one (or with <c>*</c>).
    /// </summary>
    private static long? ExpectedSettingsRevision(HttpRequest request)
    {
        var header = request.Headers.IfMatch.ToString().Trim();
        if (header.Length == 0 || header == "*") return null;
        var tag = header.Length >= 2 && header[0] == '"' && header[^1] == '"' ? header[1..^1] : header;
        return long.TryParse(tag, NumberStyles.None, CultureInfo.InvariantCulture, out var revision) && revision > 0
            ? revision
            : throw new InvalidRequestException($"If-Match must be the ETag GET /meta/config answered, e.g. \"42\" (got '{header}').");
    }

    private static void WriteSegment(Utf8JsonWriter writer, EventStore store, SegmentRecord segment) =>
        store.WithLocalCounts(segment).WriteJson(writer, store.IsMaterialized(segment.SegmentId));
}
