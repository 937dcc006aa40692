using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace Fossil.Kv.Node.Tests;

/// <summary>The HTTP contract (SPEC §4) as a black-box client sees it: routes, paths, error bodies.</summary>
[Collection(NodeCollection.Name)]
public sealed class HttpContractTests(NodeFixture node)
{
    private HttpClient Http => node.Http;

    private static string NewStream(string name) => $"{name}-{Guid.NewGuid():N}";

    private async Task<(HttpStatusCode Status, JsonNode? Body, HttpResponseMessage Response)> SendAsync(HttpMethod method, string path, string? json = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (json is not null) request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        var response = await Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? null : JsonNode.Parse(text), response);
    }

    private static void AssertError(JsonNode? body, string code)
    {
        Assert.NotNull(body);
        Assert.Equal(code, body["error"]?.GetValue<string>());
        Assert.False(string.IsNullOrWhiteSpace(body["message"]?.GetValue<string>()));
    }

    [Fact]
    public async Task config_read_with_if_none_match_of_the_current_etag_is_not_modified_until_the_settings_change()
    {
        var (_, current, read) = await SendAsync(HttpMethod.Get, "/meta/config");
        var etag = read.Headers.ETag!.Tag;

        async Task<(HttpStatusCode Status, string Body, string? ETag)> GetIfNoneMatchAsync(string header)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/meta/config");
            request.Headers.TryAddWithoutValidation("If-None-Match", header);
            using var response = await Http.SendAsync(request);
            return (response.StatusCode, await response.Content.ReadAsStringAsync(), response.Headers.ETag?.Tag);
        }

        var same = await GetIfNoneMatchAsync(etag);
        var weak = await GetIfNoneMatchAsync($"W/{etag}");
        var inList = await GetIfNoneMatchAsync($"\"1\", {etag}");
        var star = await GetIfNoneMatchAsync("*");
        var other = await GetIfNoneMatchAsync("\"1\"");
        // Setting ef_search to the value it has keeps the shared node's behaviour; the write still makes a new revision.
        var (changed, _, _) = await SendAsync(HttpMethod.Put, "/meta/config", $$"""{"hnsw.ef_search": {{current!["hnsw.ef_search"]!.ToJsonString()}}}""");
        var afterChange = await GetIfNoneMatchAsync(etag);

        foreach (var notModified in new[] { same, weak, inList, star })
        {
            Assert.Equal(HttpStatusCode.NotModified, notModified.Status);
            Assert.Equal("", notModified.Body);
            Assert.Equal(etag, notModified.ETag);
        }
        Assert.Equal(HttpStatusCode.OK, other.Status);
        Assert.Equal(current.ToJsonString(), JsonNode.Parse(other.Body)!.ToJsonString());
        Assert.Equal(HttpStatusCode.OK, changed);
        Assert.Equal(HttpStatusCode.OK, afterChange.Status);
        Assert.NotEqual(etag, afterChange.ETag);
    }

    [Fact]
    public async Task config_changes_with_if_match_apply_only_at_the_revision_get_answered()
    {
        var (_, current, read) = await SendAsync(HttpMethod.Get, "/meta/config");
        var etag = read.Headers.ETag?.Tag;
        Assert.NotNull(etag);
        // Setting ef_search to the value it has keeps the shared node's behaviour; the write still makes a new revision.
        var change = $$"""{"hnsw.ef_search": {{current!["hnsw.ef_search"]!.ToJsonString()}}}""";

        using var put = new HttpRequestMessage(HttpMethod.Put, "/meta/config") { Content = new StringContent(change, Encoding.UTF8, "application/json") };
        put.Headers.TryAddWithoutValidation("If-Match", etag);
        using var changed = await Http.SendAsync(put);
        using var stale = new HttpRequestMessage(HttpMethod.Put, "/meta/config") { Content = new StringContent("""{"hnsw.ef_search": 7}""", Encoding.UTF8, "application/json") };
        stale.Headers.TryAddWithoutValidation("If-Match", etag);
        using var refused = await Http.SendAsync(stale);
        using var garbage = new HttpRequestMessage(HttpMethod.Put, "/meta/config") { Content = new StringContent(change, Encoding.UTF8, "application/json") };
        garbage.Headers.TryAddWithoutValidation("If-Match", "\"not-a-revision\"");
        using var bad = await Http.SendAsync(garbage);
        var (_, after, reread) = await SendAsync(HttpMethod.Get, "/meta/config");

        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        Assert.NotEqual(etag, changed.Headers.ETag?.Tag);
        Assert.Equal(changed.Headers.ETag?.Tag, reread.Headers.ETag?.Tag);
        Assert.Equal(HttpStatusCode.PreconditionFailed, refused.StatusCode);
        Assert.Equal(changed.Headers.ETag?.Tag, refused.Headers.ETag?.Tag);
        AssertError(JsonNode.Parse(await refused.Content.ReadAsStringAsync()), "config_changed");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        AssertError(JsonNode.Parse(await bad.Content.ReadAsStringAsync()), "invalid_request");
        Assert.Equal(current!.ToJsonString(), after!.ToJsonString());
    }

    [Fact]
    public async Task a_weak_if_match_tag_never_matches_so_the_change_is_refused_with_412()
    {
        var (_, current, read) = await SendAsync(HttpMethod.Get, "/meta/config");
        var etag = read.Headers.ETag?.Tag;

        using var put = new HttpRequestMessage(HttpMethod.Put, "/meta/config") { Content = new StringContent("""{"hnsw.ef_search": 7}""", Encoding.UTF8, "application/json") };
        put.Headers.TryAddWithoutValidation("If-Match", $"W/{etag}");
        using var refused = await Http.SendAsync(put);
        var (_, after, _) = await SendAsync(HttpMethod.Get, "/meta/config");

        Assert.Equal(HttpStatusCode.PreconditionFailed, refused.StatusCode);
        var error = JsonNode.Parse(await refused.Content.ReadAsStringAsync());
        AssertError(error, "config_changed");
        Assert.Contains("weak ETag", error!["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(etag, refused.Headers.ETag?.Tag);
        Assert.Equal(current!.ToJsonString(), after!.ToJsonString());
    }

    [Fact]
    public async Task if_match_star_or_a_list_holding_the_current_etag_applies_the_change()
    {
        var (_, current, read) = await SendAsync(HttpMethod.Get, "/meta/config");
        var etag = read.Headers.ETag!.Tag;
        // The value ef_search has: the shared node's behaviour stays, and each write still makes a new revision.
        var change = $$"""{"hnsw.ef_search": {{current!["hnsw.ef_search"]!.ToJsonString()}}}""";

        using var star = await PutConfigAsync(change, "*");
        var afterStar = star.Headers.ETag!.Tag;
        // RFC 9110 §13.1.1: the list matches when any one strong tag is current; a weak one beside it is no match, and no error.
        using var list = await PutConfigAsync(change, $"\"1\", W/{afterStar}, {afterStar}");
        using var stale = await PutConfigAsync("""{"hnsw.ef_search": 7}""", $"\"1\", {etag}");
        var (_, after, reread) = await SendAsync(HttpMethod.Get, "/meta/config");

        Assert.Equal(HttpStatusCode.OK, star.StatusCode);
        Assert.NotEqual(etag, afterStar);
        Assert.Equal(HttpStatusCode.OK, list.StatusCode);
        Assert.NotEqual(afterStar, list.Headers.ETag!.Tag);
        Assert.Equal(HttpStatusCode.PreconditionFailed, stale.StatusCode);
        var error = JsonNode.Parse(await stale.Content.ReadAsStringAsync());
        AssertError(error, "config_changed");
        // The latest tag of the list is the one to name: the settings changed since it, so since every earlier one too.
        Assert.Contains($"changed since revision {etag.Trim('"')} ", error!["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(list.Headers.ETag!.Tag, reread.Headers.ETag!.Tag);
        Assert.Equal(current.ToJsonString(), after!.ToJsonString());
    }

    [Fact]
    public async Task an_if_match_etag_later_than_the_current_revision_is_refused_as_one_never_answered()
    {
        var (_, current, read) = await SendAsync(HttpMethod.Get, "/meta/config");
        var etag = read.Headers.ETag!.Tag;
        var future = long.Parse(etag.Trim('"'), System.Globalization.CultureInfo.InvariantCulture) + 1_000_000;

        using var quoted = await PutConfigAsync("""{"hnsw.ef_search": 7}""", $"\"{future}\"");
        using var bare = await PutConfigAsync("""{"hnsw.ef_search": 7}""", future.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var (_, after, reread) = await SendAsync(HttpMethod.Get, "/meta/config");

        foreach (var refused in new[] { quoted, bare })
        {
            Assert.Equal(HttpStatusCode.PreconditionFailed, refused.StatusCode);
            var error = JsonNode.Parse(await refused.Content.ReadAsStringAsync());
            AssertError(error, "config_changed");
            var message = error!["message"]!.GetValue<string>();
            Assert.Contains($"revision {future} is not one this store has answered", message, StringComparison.Ordinal);
            Assert.DoesNotContain("changed since", message, StringComparison.Ordinal);
            Assert.Equal(etag, refused.Headers.ETag?.Tag);
        }
        Assert.Equal(etag, reread.Headers.ETag?.Tag);
        Assert.Equal(current!.ToJsonString(), after!.ToJsonString());
    }

    [Theory]
    [InlineData("\"1\", *")]
    [InlineData("\"1\" \"2\"")]
    [InlineData(",")]
    [InlineData("\"12")]
    [InlineData("W/garbage")]
    [InlineData("\"0\"")]
    public async Task a_malformed_if_match_is_a_400_naming_the_header(string header)
    {
        var (_, current, _) = await SendAsync(HttpMethod.Get, "/meta/config");

        using var refused = await PutConfigAsync("""{"hnsw.ef_search": 7}""", header);
        var (_, after, _) = await SendAsync(HttpMethod.Get, "/meta/config");

        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        var error = JsonNode.Parse(await refused.Content.ReadAsStringAsync());
        AssertError(error, "invalid_request");
        Assert.StartsWith("If-Match must be", error!["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(current!.ToJsonString(), after!.ToJsonString());
    }

    private async Task<HttpResponseMessage> PutConfigAsync(string json, string ifMatch)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, "/meta/config") { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        return await Http.SendAsync(request);
    }

    [Fact]
    public async Task a_subscription_with_a_last_event_id_that_is_not_a_version_names_the_header()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/streams/last-event-id-check/subscribe");
        request.Headers.TryAddWithoutValidation("Last-Event-ID", "garbage");
        using var response = await Http.SendAsync(request);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync());

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        AssertError(body, "invalid_request");
        Assert.Contains("Last-Event-ID", body!["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("events")]
    [InlineData("subscribe")]
    public async Task a_stream_named_like_a_route_suffix_is_still_a_stream(string name)
    {
        // The fixture's root prefix keeps the bare name apart from other runs.
        var (appended, _, _) = await SendAsync(HttpMethod.Post, $"/streams/{name}/events", """{"events":[{"type":"t"}]}""");

        var (status, info, _) = await SendAsync(HttpMethod.Get, $"/streams/{name}");
        var (read, page, _) = await SendAsync(HttpMethod.Get, $"/streams/{name}/events");

        Assert.Equal(HttpStatusCode.Created, appended);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(name, info!["stream"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, read);
        Assert.All(page!["events"]!.AsArray(), e => Assert.Equal(name, e!["stream"]!.GetValue<string>()));
    }

    [Theory]
    [InlineData("GET", "/no-such-endpoint", HttpStatusCode.NotFound, "not_found")]
    [InlineData("POST", "/streams/some-stream", HttpStatusCode.NotFound, "not_found")]
    [InlineData("GET", "/entities/some-entity", HttpStatusCode.NotFound, "not_found")]
    [InlineData("DELETE", "/streams/some-stream", HttpStatusCode.MethodNotAllowed, "method_not_allowed")]
    [InlineData("GET", "/append", HttpStatusCode.MethodNotAllowed, "method_not_allowed")]
    public async Task unknown_routes_and_methods_answer_the_error_shape(string method, string path, HttpStatusCode expected, string code)
    {
        var (status, body, response) = await SendAsync(new HttpMethod(method), path, method == "GET" || method == "DELETE" ? null : "{}");

        Assert.Equal(expected, status);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        AssertError(body, code);
        response.Dispose();
    }

    [Theory]
    [InlineData("bad%ZZname")]
    [InlineData("bad%2")]
    [InlineData("caf%E9")]
    [InlineData("%FF%FE")]
    public async Task a_stream_name_that_is_not_percent_encoded_utf8_is_refused_and_nothing_is_written(string escaped)
    {
        var unique = $"{NewStream("pct")}-{escaped}";

        var (status, body) = await SendRawAsync("POST", $"/streams/{unique}/events", """{"events":[{"type":"t"}]}""");
        // The literal spelling (each '%' escaped) names the stream the lenient decoder would have written to.
        var (lookup, _, _) = await SendAsync(HttpMethod.Get, $"/streams/{unique.Replace("%", "%25", StringComparison.Ordinal)}");

        Assert.Equal(HttpStatusCode.BadRequest, status);
        AssertError(body, "invalid_request");
        Assert.Contains("percent-encod", body!["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, lookup);
    }

    /// <summary>Sends the request target byte for byte: <see cref="Uri"/> would "fix" <c>%ZZ</c> into <c>%25ZZ</c> first.</summary>
    private async Task<(HttpStatusCode Status, JsonNode? Body)> SendRawAsync(string method, string target, string json)
    {
        var address = Http.BaseAddress!;
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(address.Host, address.Port);
        await using var stream = tcp.GetStream();
        var body = Encoding.UTF8.GetBytes(json);
        var head = $"{method} {target} HTTP/1.1\r\nHost: {address.Authority}\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head));
        await stream.WriteAsync(body);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var response = await reader.ReadToEndAsync();
        var status = (HttpStatusCode)int.Parse(response.Split(' ', 3)[1], System.Globalization.CultureInfo.InvariantCulture);
        var start = response.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4;
        // Chunked or not, the JSON object is the text between the first '{' and the last '}'.
        var text = response[start..];
        var open = text.IndexOf('{', StringComparison.Ordinal);
        return (status, open < 0 ? null : JsonNode.Parse(text[open..(text.LastIndexOf('}') + 1)]));
    }

    [Fact]
    public async Task percent_encoded_utf8_and_an_escaped_percent_name_the_stream_they_spell()
    {
        var name = $"{NewStream("enc")}-100% café/😀";

        var (status, result, _) = await SendAsync(HttpMethod.Post, $"/streams/{Uri.EscapeDataString(name)}/events", """{"events":[{"type":"t"}]}""");

        Assert.Equal(HttpStatusCode.Created, status);
        Assert.Equal(name, result!["stream"]!.GetValue<string>());
    }

    [Fact]
    public async Task the_global_log_refuses_a_backward_read_rather_than_answering_forward()
    {
        var (status, body, _) = await SendAsync(HttpMethod.Get, "/all/events?direction=backward&limit=1");
        var (forward, _, _) = await SendAsync(HttpMethod.Get, "/all/events?direction=forward&limit=1");

        Assert.Equal(HttpStatusCode.BadRequest, status);
        AssertError(body, "invalid_request");
        Assert.Contains("direction", body!["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, forward);
    }

    [Fact]
    public async Task config_durations_read_back_in_the_units_they_were_set()
    {
        var before = (await SendAsync(HttpMethod.Get, "/meta/config")).Body!["segment.retention"]!.GetValue<string>();
        try
        {
            var (status, after, _) = await SendAsync(HttpMethod.Put, "/meta/config", """{"segment.retention":"7d"}""");
            var (_, read, _) = await SendAsync(HttpMethod.Get, "/meta/config");

            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Equal("7d", after!["segment.retention"]!.GetValue<string>());
            Assert.Equal("7d", read!["segment.retention"]!.GetValue<string>());
        }
        finally
        {
            await SendAsync(HttpMethod.Put, "/meta/config", $$"""{"segment.retention":"{{before}}"}""");
        }
    }

    [Fact]
    public async Task a_sealed_segment_reports_how_many_distinct_entities_it_holds()
    {
        var stream = NewStream("entities");
        var (_, appended, _) = await SendAsync(HttpMethod.Post, $"/streams/{stream}/events",
            """{"events":[{"type":"t","entities":["acme","globex"]},{"type":"t","entities":["acme"]}]}""");
        var sid = appended!["segment"]!.GetValue<string>();

        var (sealStatus, _, _) = await SendAsync(HttpMethod.Post, $"/segments/{sid}/seal");
        JsonNode? segment = null;
        await Poll.UntilAsync(async () =>
        {
            segment = (await SendAsync(HttpMethod.Get, $"/segments/{sid}")).Body;
            return segment!["materialized"]!.GetValue<bool>();
        }, TimeSpan.FromSeconds(60), "the node materialized the sealed segment");

        Assert.Equal(HttpStatusCode.OK, sealStatus);
        Assert.Equal("sealed", segment!["status"]!.GetValue<string>());
        // The segment may hold other tests' events too, but at least these two entities.
        Assert.True(segment["entity_count"]!.GetValue<long>() >= 2, $"entity_count is {segment["entity_count"]}");
        var listed = (await SendAsync(HttpMethod.Get, "/segments?status=sealed")).Body!["segments"]!.AsArray().Single(s => s!["segment_id"]!.GetValue<string>() == sid)!;
        Assert.Equal(segment["entity_count"]!.GetValue<long>(), listed["entity_count"]!.GetValue<long>());
    }
}
