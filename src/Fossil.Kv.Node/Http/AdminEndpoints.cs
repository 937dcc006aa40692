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
            // A client that polls the settings with the ETag it holds gets 304 and no body until they change.
            if (NoneMatchHolds(context.Request.Headers.IfNoneMatch.ToString(), revision))
                context.Response.StatusCode = StatusCodes.Status304NotModified;
            else
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
            var (strong, weak) = ParseIfMatch(ifMatch);
            // If-Match compares strongly (RFC 9110 §13.1.1): a weak tag matches nothing, so with only weak tags the
            // precondition fails, saying why.
            if (strong.Count == 0 && weak > 0)
            {
                var (_, current) = await store.GetVersionedSettingsAsync(context.RequestAborted);
                var which = weak == 1 ? "a weak ETag" : "only weak ETags";
                throw new SettingsChangedException(0, current,
                    $"If-Match holds {which} ({ifMatch}), which never {(weak == 1 ? "matches" : "match")}: If-Match compares strongly. Send the ETag exactly as GET /meta/config answered it (\"{current}\" now).");
            }
            // No If-Match, or "*": the settings always exist once seeded, so any current version will do.
            var update = strong.Count > 0
                ? await store.UpdateSettingsAsync(changes, strong, context.RequestAborted)
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
    /// The revisions the strong ETags of an <c>If-Match</c> header name (<c>"123"</c>, as GET's ETag; a bare
    /// <c>123</c> too), and how many weak ones it holds (<c>W/"123"</c>, which never match). None for no header or
    /// <c>*</c> (RFC 9110: <c>"*" / #entity-tag</c>, so <c>*</c> stands alone). Anything else is a 400 naming the header.
    /// </summary>
    private static (IReadOnlyList<long> Strong, int Weak) ParseIfMatch(string header)
    {
        if (header.Length == 0 || header == "*") return ([], 0);
        var strong = new List<long>();
        var weak = 0;
        var rest = header.AsSpan();
        while (true)
        {
            // Empty list elements (", ,") are allowed by RFC 9110 §5.6.1 and mean nothing.
            rest = rest.TrimStart(" \t,");
            if (rest.IsEmpty) break;
            var isWeak = rest.StartsWith("W/", StringComparison.Ordinal);
            if (isWeak) rest = rest[2..];
            ReadOnlySpan<char> tag;
            var quoted = rest.StartsWith('"');
            if (quoted)
            {
                var close = rest[1..].IndexOf('"');
                if (close < 0) throw BadIfMatch(header);
                tag = rest.Slice(1, close);
                rest = rest[(close + 2)..];
            }
            else
            {
                var end = rest.IndexOfAny(" \t,");
                tag = end < 0 ? rest : rest[..end];
                rest = end < 0 ? [] : rest[end..];
            }
            rest = rest.TrimStart(" \t");
            if (!rest.IsEmpty && rest[0] != ',') throw BadIfMatch(header);
            var isRevision = long.TryParse(tag, NumberStyles.None, CultureInfo.InvariantCulture, out var revision) && revision > 0;
            // A bare revision (not an RFC entity-tag) is still taken, as it was before lists: curl users type it so.
            // A quoted weak tag may hold anything, as it never matches; a strong one must be a revision this API answers.
            if (!isRevision && (!quoted || !isWeak)) throw BadIfMatch(header);
            if (isWeak) weak++;
            else strong.Add(revision);
        }
        return strong.Count > 0 || weak > 0 ? (strong, weak) : throw BadIfMatch(header);
    }

    /// <summary>
    /// Whether an <c>If-None-Match</c> header names the settings at <paramref name="revision"/>: <c>*</c>, or any listed tag
    /// equal to its ETag compared weakly (RFC 9110 §13.1.2: <c>W/"42"</c> matches <c>"42"</c>). A tag that is no ETag of
    /// ours matches nothing, so the full answer follows, as for any other stale tag.
    /// </summary>
    private static bool NoneMatchHolds(string header, long revision)
    {
        var current = revision.ToString(CultureInfo.InvariantCulture);
        foreach (var element in header.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (element == "*") return true;
            var tag = element.StartsWith("W/", StringComparison.Ordinal) ? element[2..] : element;
            if (tag.Length >= 2 && tag[0] == '"' && tag[^1] == '"' && tag.AsSpan(1, tag.Length - 2).SequenceEqual(current)) return true;
        }
        return false;
    }

    private static InvalidRequestException BadIfMatch(string header) =>
        new($"If-Match must be *, or the ETag GET /meta/config answered (e.g. \"42\"), or a comma-separated list of such ETags (got '{header}').");

    private static void WriteSegment(Utf8JsonWriter writer, EventStore store, SegmentRecord segment) =>
        store.WithLocalCounts(segment).WriteJson(writer, store.IsMaterialized(segment.SegmentId));
}
