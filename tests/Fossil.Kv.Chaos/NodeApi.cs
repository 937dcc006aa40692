using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Fossil.Kv.Chaos.History;

namespace Fossil.Kv.Chaos;

/// <summary>
/// The node's HTTP API as the chaos clients use it, with each answer classified the way a careful client
/// must: 2xx acknowledged; 4xx a definite error (nothing written); 5xx, timeouts and broken connections
/// unknown (the append may or may not have been written).
/// </summary>
public sealed class NodeApi(HttpClient http)
{
    public const string StartPosition = "00000000000000000000-0000";

    public async Task<AppendAttempt> AppendAsync(NodeHost node, AppendOperation op, int number, TimeSpan timeout, bool resend = false)
    {
        var (path, body) = op.Multi ? ("/append", MultiBody(op.Parts)) : (StreamPath(op.Parts[0].Stream, "events"), StreamBody(op.Parts[0]));
        var started = DateTime.UtcNow;
        var clock = Stopwatch.StartNew();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            using var content = new StringContent(body, Encoding.UTF8, "application/json");
            using var response = await http.PostAsync(new Uri(node.BaseAddress, path), content, cts.Token).ConfigureAwait(false);
            var text = await response.Content.ReadAsStringAsync(cts.Token).ConfigureAwait(false);
            var status = (int)response.StatusCode;
            var ms = clock.Elapsed.TotalMilliseconds;
            if (status is 200 or 201)
                return new AppendAttempt(number, node.Name, started, ms, Outcome.Acknowledged, status, null, ParseResults(text, op.Multi), Resend: resend);
            using var error = TryParse(text);
            var code = error?.RootElement.TryGetProperty("error", out var c) == true ? c.GetString() : null;
            if (status is >= 400 and < 500)
            {
                Conflict? conflict = null;
                if (status == 409 && error is not null)
                {
                    var root = error.RootElement;
                    conflict = new Conflict(
                        root.TryGetProperty("stream", out var s) ? s.GetString() ?? "" : "",
                        root.TryGetProperty("expected", out var e) ? Text(e) : "",
                        root.TryGetProperty("actual", out var a) ? Text(a) : null);
                }
                return new AppendAttempt(number, node.Name, started, ms, Outcome.DefiniteError, status, code ?? text, Conflict: conflict, Resend: resend);
            }
            return new AppendAttempt(number, node.Name, started, ms, Outcome.Unknown, status, code ?? text, Resend: resend);
        }
        catch (HttpRequestException e) when (e.HttpRequestError == HttpRequestError.ConnectionError && e.InnerException is System.Net.Sockets.SocketException { SocketErrorCode: System.Net.Sockets.SocketError.ConnectionRefused })
        {
            return new AppendAttempt(number, node.Name, started, clock.Elapsed.TotalMilliseconds, Outcome.NotSent, null, "connection refused", Resend: resend);
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or IOException or JsonException)
        {
            // A 2xx whose body broke off is as unknown as no answer at all.
            var reason = e is OperationCanceledException ? $"timeout after {timeout.TotalSeconds:0.#}s" : e.GetBaseException().Message;
            return new AppendAttempt(number, node.Name, started, clock.Elapsed.TotalMilliseconds, Outcome.Unknown, null, reason, Resend: resend);
        }
    }

    /// <summary>One page of the global log from <paramref name="from"/> (inclusive) and where to continue.</summary>
    public async Task<(List<ObservedEvent> Events, string Next)> ReadAllAsync(NodeHost node, string from, int limit, CancellationToken cancellationToken)
    {
        var uri = new Uri(node.BaseAddress, $"/all/events?from={from}&limit={limit}");
        using var doc = await GetJsonAsync(uri, cancellationToken).ConfigureAwait(false);
        return (ParseEvents(doc!.RootElement.GetProperty("events")), doc.RootElement.GetProperty("next").GetString()!);
    }

    /// <summary>One page of a stream from version <paramref name="from"/>; an absent stream is an empty page.</summary>
    public async Task<(List<ObservedEvent> Events, long? Next)> ReadStreamAsync(NodeHost node, string stream, long from, int limit, CancellationToken cancellationToken)
    {
        var uri = new Uri(node.BaseAddress, $"{StreamPath(stream, "events")}?from={from}&limit={limit}");
        using var doc = await GetJsonAsync(uri, cancellationToken).ConfigureAwait(false);
        if (doc is null) return ([], null);
        var next = doc.RootElement.GetProperty("next");
        return (ParseEvents(doc.RootElement.GetProperty("events")), next.ValueKind == JsonValueKind.Number ? next.GetInt64() : null);
    }

    /// <summary>Reads the whole global log from the start.</summary>
    public async Task<List<ObservedEvent>> ReadWholeLogAsync(NodeHost node, CancellationToken cancellationToken)
    {
        var all = new List<ObservedEvent>();
        var from = StartPosition;
        while (true)
        {
            var (events, next) = await ReadAllAsync(node, from, 1000, cancellationToken).ConfigureAwait(false);
            all.AddRange(events);
            if (events.Count == 0) return all;
            from = next;
        }
    }

    /// <summary>Reads a whole stream from version 0.</summary>
    public async Task<List<ObservedEvent>> ReadWholeStreamAsync(NodeHost node, string stream, CancellationToken cancellationToken)
    {
        var all = new List<ObservedEvent>();
        long? from = 0;
        while (from is { } f)
        {
            var (events, next) = await ReadStreamAsync(node, stream, f, 1000, cancellationToken).ConfigureAwait(false);
            all.AddRange(events);
            from = next;
        }
        return all;
    }

    /// <summary>
    /// Holds one SSE connection open and hands each event with its SSE id to <paramref name="onEvent"/>
    /// until the connection ends, goes quiet for longer than <paramref name="idle"/> (heartbeats count), or
    /// <paramref name="cancellationToken"/> fires. Throws what broke the connection.
    /// </summary>
    public async Task SubscribeAsync(NodeHost node, string pathAndQuery, string? lastEventId, TimeSpan idle, Action<string, ObservedEvent> onEvent, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(node.BaseAddress, pathAndQuery));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        if (lastEventId is not null) request.Headers.Add("Last-Event-ID", lastEventId);
        using var quiet = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        quiet.CancelAfter(idle);
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, quiet.Token).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode) throw new HttpRequestException($"subscribe answered {(int)response.StatusCode}");
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(quiet.Token).ConfigureAwait(false));
        string? id = null, data = null;
        while (await reader.ReadLineAsync(quiet.Token).ConfigureAwait(false) is { } line)
        {
            quiet.CancelAfter(idle);
            if (line.Length == 0)
            {
                if (id is not null && data is not null)
                {
                    using var doc = JsonDocument.Parse(data);
                    onEvent(id, ParseEvent(doc.RootElement));
                }
                id = data = null;
            }
            else if (line.StartsWith("id: ", StringComparison.Ordinal)) id = line[4..];
            else if (line.StartsWith("data: ", StringComparison.Ordinal)) data = line[6..];
        }
    }

    public static string StreamPath(string stream, string suffix) =>
        "/streams/" + string.Join('/', stream.Split('/').Select(Uri.EscapeDataString)) + "/" + suffix;

    private async Task<JsonDocument?> GetJsonAsync(Uri uri, CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync(uri, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound) return null;
        var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode) throw new HttpRequestException($"GET {uri.PathAndQuery} answered {(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text);
    }

    private static List<ObservedEvent> ParseEvents(JsonElement array)
    {
        var events = new List<ObservedEvent>(array.GetArrayLength());
        foreach (var e in array.EnumerateArray()) events.Add(ParseEvent(e));
        return events;
    }

    private static ObservedEvent ParseEvent(JsonElement e) =>
        new(e.GetProperty("id").GetGuid(), e.GetProperty("stream").GetString()!, e.GetProperty("version").GetInt64(), e.GetProperty("position").GetString()!,
            e.TryGetProperty("segment", out var segment) ? segment.GetString() ?? "" : "");

    private static List<PartResult> ParseResults(string text, bool multi)
    {
        using var doc = JsonDocument.Parse(text);
        var items = multi ? doc.RootElement.GetProperty("results").EnumerateArray().ToList() : [doc.RootElement];
        return [.. items.Select(r => new PartResult(r.GetProperty("stream").GetString()!, r.GetProperty("firstVersion").GetInt64(),
            r.GetProperty("lastVersion").GetInt64(), r.GetProperty("position").GetString()!))];
    }

    private static JsonDocument? TryParse(string text)
    {
        try { return JsonDocument.Parse(text); }
        catch (JsonException) { return null; }
    }

    private static string Text(JsonElement value) =>
        value.ValueKind == JsonValueKind.Number ? value.GetInt64().ToString(CultureInfo.InvariantCulture) : value.GetString() ?? "";

    private static string StreamBody(StreamPart part)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer)) WritePart(writer, part, withStream: false);
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static string MultiBody(IReadOnlyList<StreamPart> parts)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteStartArray("streams");
            foreach (var part in parts) WritePart(writer, part, withStream: true);
            writer.WriteEndArray();
            writer.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static void WritePart(Utf8JsonWriter writer, StreamPart part, bool withStream)
    {
        writer.WriteStartObject();
        if (withStream) writer.WriteString("stream", part.Stream);
        if (long.TryParse(part.Expected, NumberStyles.None, CultureInfo.InvariantCulture, out var exact)) writer.WriteNumber("expectedVersion", exact);
        else writer.WriteString("expectedVersion", part.Expected);
        writer.WriteStartArray("events");
        for (var i = 0; i < part.EventIds.Count; i++)
        {
            writer.WriteStartObject();
            writer.WriteString("id", part.EventIds[i]);
            writer.WriteString("type", "chaos");
            writer.WriteStartObject("data");
            writer.WriteNumber("i", i);
            writer.WriteEndObject();
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
        writer.WriteEndObject();
    }
}
