using System.Globalization;
using System.Text.Json;

namespace Fossil.Kv.Node.Http;

/// <summary>
/// The one place where exceptions become HTTP answers: <c>{"error": "&lt;code&gt;", "message": "..."}</c>
/// with the status the contract names, and never a stack trace.
/// </summary>
internal static class ApiErrors
{
    public static Task WriteAsync(HttpContext context, Exception exception)
    {
        var (status, code) = exception switch
        {
            WrongExpectedVersionException => (409, "wrong_expected_version"),
            DuplicateEventIdException => (409, "duplicate_event_id"),
            StreamNotFoundException => (404, "stream_not_found"),
            SegmentNotFoundException => (404, "segment_not_found"),
            AppendTooLargeException => (413, "too_large"),
            StoreUnavailableException => (503, "unavailable"),
            StoreFullException => (507, "no_space"),
            SegmentStateException => (409, "invalid_segment_state"),
            SettingsChangedException => (412, "config_changed"),
            InvalidRequestException => (400, "invalid_request"),
            BadHttpRequestException { StatusCode: 413 } => (413, "too_large"),
            BadHttpRequestException or JsonException => (400, "invalid_request"),
            Etcd.EtcdException or HttpRequestException or TimeoutException => (503, "unavailable"),
            _ => (500, "internal"),
        };
        var response = context.Response;
        if (response.HasStarted) return Task.CompletedTask;
        if (status == 503)
        {
            var retryAfter = exception is StoreUnavailableException u ? u.RetryAfter : TimeSpan.FromSeconds(1);
            response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        }
        // The settings' current ETag, so a client can read again knowing what it will compare against.
        if (exception is SettingsChangedException changed) response.Headers.ETag = AdminEndpoints.SettingsETag(changed.ActualRevision);
        var message = status == 500 ? "The node failed to handle the request; see its log." : exception.Message;
        return WriteAsync(context, status, code, message, writer =>
        {
            if (exception is WrongExpectedVersionException wrong)
            {
                writer.WriteString("stream", wrong.Stream);
                WriteVersion(writer, "expected", wrong.ExpectedState.ToString());
                if (wrong.ActualVersion < 0) writer.WriteString("actual", "no_stream");
                else writer.WriteNumber("actual", wrong.ActualVersion);
            }
            if (exception is AppendTooLargeException tooLarge) writer.WriteNumber("limit", tooLarge.Limit);
            // Kestrel's own refusal of a body over its size limit (a chunked body found too long while read) is the same limit.
            if (exception is BadHttpRequestException { StatusCode: 413 }) writer.WriteNumber("limit", RequestBody.MaxBytes);
        });
    }

    /// <summary>404 <c>not_found</c> for a path that names no resource of the API.</summary>
    public static Task NotFoundAsync(HttpContext context) =>
        WriteAsync(context, StatusCodes.Status404NotFound, "not_found", $"No such endpoint: {context.Request.Method} {context.Request.Path}.");

    /// <summary>
    /// Gives the answers that routing makes on its own (no route: 404, a route without this method: 405) the
    /// contract's error body instead of an empty one.
    /// </summary>
    public static Task WriteStatusOnlyAsync(HttpContext context)
    {
        var response = context.Response;
        return response.StatusCode switch
        {
            StatusCodes.Status404NotFound => NotFoundAsync(context),
            StatusCodes.Status405MethodNotAllowed => WriteAsync(context, StatusCodes.Status405MethodNotAllowed, "method_not_allowed",
                $"{context.Request.Method} is not allowed on {context.Request.Path}{(response.Headers.Allow.Count > 0 ? $"; allowed: {response.Headers.Allow}" : "")}."),
            StatusCodes.Status415UnsupportedMediaType => WriteAsync(context, StatusCodes.Status415UnsupportedMediaType, "invalid_request", "Unsupported content type."),
            >= 400 and < 500 => WriteAsync(context, response.StatusCode, "invalid_request", $"The request was refused ({response.StatusCode})."),
            _ => Task.CompletedTask,
        };
    }

    /// <summary>The error body: <c>{"error", "message"}</c> and whatever <paramref name="details"/> adds.</summary>
    private static async Task WriteAsync(HttpContext context, int status, string code, string message, Action<Utf8JsonWriter>? details = null)
    {
        var response = context.Response;
        if (response.HasStarted) return;
        response.StatusCode = status;
        response.ContentType = "application/json";
        await using var writer = new Utf8JsonWriter(response.Body, EventJson.WriterOptions);
        writer.WriteStartObject();
        writer.WriteString("error", code);
        writer.WriteString("message", message);
        details?.Invoke(writer);
        writer.WriteEndObject();
    }

    private static void WriteVersion(Utf8JsonWriter writer, string name, string state)
    {
        if (long.TryParse(state, NumberStyles.None, CultureInfo.InvariantCulture, out var version)) writer.WriteNumber(name, version);
        else writer.WriteString(name, state);
    }
}
