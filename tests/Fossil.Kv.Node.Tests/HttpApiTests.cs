using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Fossil.Kv.Node.Tests;

[Collection(NodeCollection.Name)]
public sealed class HttpApiTests(NodeFixture node)
{
    private HttpClient Http => node.Http;

    private static string NewStream(string name) => $"{name}-{Guid.NewGuid():N}";

    private static string Path(string stream, string suffix = "") => $"/streams/{Uri.EscapeDataString(stream)}{suffix}";

    private async Task<(HttpStatusCode Status, JsonNode Body)> SendAsync(HttpMethod method, string path, string? json = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (json is not null) request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        using var response = await Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, JsonNode.Parse(text.Length == 0 ? "null" : text)!);
    }

    [Fact]
    public async Task append_answers_201_and_the_events_read_back()
    {
        var stream = NewStream("http/orders");
        var (status, result) = await SendAsync(HttpMethod.Post, Path(stream, "/events"),
            """{"expectedVersion":"no_stream","events":[{"type":"placed","data":{"total":12.5},"metadata":{"user":"u1"}},{"type":"blob","dataBase64":"AAEC"}]}""");
        var (_, info) = await SendAsync(HttpMethod.Get, Path(stream));
        var (_, page) = await SendAsync(HttpMethod.Get, Path(stream, "/events"));

        Assert.Equal(HttpStatusCode.Created, status);
        Assert.Equal((stream, 0, 1), (result["stream"]!.GetValue<string>(), result["firstVersion"]!.GetValue<int>(), result["lastVersion"]!.GetValue<int>()));
        Assert.Equal(1, info["version"]!.GetValue<int>());
        var events = page["events"]!.AsArray();
        Assert.Equal(12.5, events[0]!["data"]!["total"]!.GetValue<double>());
        Assert.Equal("u1", events[0]!["metadata"]!["user"]!.GetValue<string>());
        Assert.Equal("AAEC", events[1]!["dataBase64"]!.GetValue<string>());
        Assert.Equal(result["position"]!.GetValue<string>(), events[1]!["position"]!.GetValue<string>());
        Assert.True(page["next"] is null);
    }

    [Fact]
    public async Task a_repeated_append_answers_200_with_the_original_result()
    {
        var stream = NewStream("http-idem");
        var body = $$"""{"expectedVersion":"any","events":[{"id":"{{Guid.NewGuid()}}","type":"t","data":1}]}""";

        var first = await SendAsync(HttpMethod.Post, Path(stream, "/events"), body);
        var second = await SendAsync(HttpMethod.Post, Path(stream, "/events"), body);

        Assert.Equal(HttpStatusCode.Created, first.Status);
        Assert.Equal(HttpStatusCode.OK, second.Status);
        Assert.Equal(first.Body.ToJsonString(), second.Body.ToJsonString());
    }

    [Fact]
    public async Task a_wrong_expected_version_answers_409_with_expected_and_actual()
    {
        var stream = NewStream("http-wev");
        await SendAsync(HttpMethod.Post, Path(stream, "/events"), """{"events":[{"type":"t"}]}""");

        var (status, error) = await SendAsync(HttpMethod.Post, Path(stream, "/events"), """{"expectedVersion":5,"events":[{"type":"t"}]}""");

        Assert.Equal(HttpStatusCode.Conflict, status);
        Assert.Equal("wrong_expected_version", error["error"]!.GetValue<string>());
        Assert.Equal(5, error["expected"]!.GetValue<int>());
        Assert.Equal(0, error["actual"]!.GetValue<int>());
    }

    [Theory]
    [InlineData("""{"events":[]}""", "at least one event")]
    [InlineData("""{"events":[{"data":1}]}""", "no \"type\"")]
    [InlineData("""{"events":[{"type":"t","metadata":[1]}]}""", "metadata")]
    [InlineData("""{"events":[{"type":"t","id":"nope"}]}""", "UUID")]
    [InlineData("""{"events":[{"type":"t","data":1,"dataBase64":"AA=="}]}""", "both")]
    [InlineData("""{"expectedVersion":-3,"events":[{"type":"t"}]}""", "expectedVersion")]
    [InlineData("""{"events":[{"type":"t","vector":[1,"x"]}]}""", "vector")]
    [InlineData("""{"events":[{"type":"t","colour":"red"}]}""", "unknown property")]
    [InlineData("""{"events":[{"type":"t"}""", "JSON")]
    [InlineData("""not json""", "JSON")]
    public async Task malformed_appends_answer_400_naming_the_problem_and_write_nothing(string body, string problem)
    {
        var stream = NewStream("http-bad");

        var (status, error) = await SendAsync(HttpMethod.Post, Path(stream, "/events"), body);
        var (lookup, _) = await SendAsync(HttpMethod.Get, Path(stream));

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("invalid_request", error["error"]!.GetValue<string>());
        Assert.Contains(problem, error["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, lookup);
    }

    [Fact]
    public async Task too_many_events_answer_413_and_write_nothing()
    {
        var stream = NewStream("http-big");
        var events = string.Join(',', Enumerable.Repeat("""{"type":"t"}""", 1001));

        var (status, error) = await SendAsync(HttpMethod.Post, Path(stream, "/events"), $$"""{"events":[{{events}}]}""");

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
        Assert.Equal("too_large", error["error"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(HttpMethod.Get, Path(stream))).Status);
    }

    [Fact]
    public async Task stream_names_with_slashes_are_separate_streams()
    {
        var root = NewStream("nest");
        await SendAsync(HttpMethod.Post, Path(root, "/events"), """{"events":[{"type":"parent"}]}""");
        await SendAsync(HttpMethod.Post, Path(root + "/child", "/events"), """{"events":[{"type":"child"},{"type":"child"}]}""");

        var parent = (await SendAsync(HttpMethod.Get, Path(root, "/events"))).Body["events"]!.AsArray();
        var child = (await SendAsync(HttpMethod.Get, Path(root + "/child", "/events"))).Body["events"]!.AsArray();

        Assert.Single(parent);
        Assert.Equal(2, child.Count);
        Assert.All(child, e => Assert.Equal(root + "/child", e!["stream"]!.GetValue<string>()));
    }

    [Fact]
    public async Task the_global_log_pages_with_next()
    {
        var prefix = NewStream("paging");
        for (var i = 0; i < 5; i++) await SendAsync(HttpMethod.Post, Path($"{prefix}-{i}", "/events"), """{"events":[{"type":"t"},{"type":"t"}]}""");

        var seen = new List<string>();
        var from = "";
        for (var page = 0; page < 10 && seen.Count < 10; page++)
        {
            var (_, body) = await SendAsync(HttpMethod.Get, $"/all/events?limit=3&streamPrefix={prefix}{(from.Length > 0 ? "&from=" + from : "")}");
            seen.AddRange(body["events"]!.AsArray().Select(e => e!["position"]!.GetValue<string>()));
            from = body["next"]!.GetValue<string>();
        }

        Assert.Equal(10, seen.Count);
        Assert.Equal(seen.Order(StringComparer.Ordinal), seen);
        Assert.Equal(10, seen.Distinct().Count());
    }

    [Fact]
    public async Task the_global_log_next_moves_past_events_a_filter_did_not_match()
    {
        var stream = NewStream("rare-filter");
        var type = $"rare-{Guid.NewGuid():N}";
        await SendAsync(HttpMethod.Post, Path(stream, "/events"), """{"events":[{"type":"common"},{"type":"common"}]}""");

        var (_, empty) = await SendAsync(HttpMethod.Get, $"/all/events?type={type}");
        var next = empty["next"]!.GetValue<string>();
        await SendAsync(HttpMethod.Post, Path(stream, "/events"), $$"""{"events":[{"type":"{{type}}"}]}""");
        var (_, found) = await SendAsync(HttpMethod.Get, $"/all/events?type={type}&from={next}");
        var (_, head) = await SendAsync(HttpMethod.Get, $"/streams/{Uri.EscapeDataString(stream)}/events?from=0");

        Assert.Empty(empty["events"]!.AsArray());
        // The empty page covered the stream's first two events: its next is past them, not back at the start.
        var scanned = head["events"]!.AsArray().Take(2).Select(e => e!["position"]!.GetValue<string>());
        Assert.All(scanned, position => Assert.True(string.CompareOrdinal(next, position) > 0, $"next {next} is not past {position}"));
        Assert.Equal(type, Assert.Single(found["events"]!.AsArray())!["type"]!.GetValue<string>());
    }

    [Fact]
    public async Task a_multi_stream_append_writes_all_streams_or_none()
    {
        var a = NewStream("multi-a");
        var b = NewStream("multi-b");
        await SendAsync(HttpMethod.Post, Path(b, "/events"), """{"events":[{"type":"t"}]}""");

        var conflict = await SendAsync(HttpMethod.Post, "/append",
            $$"""{"streams":[{"stream":"{{a}}","expectedVersion":"no_stream","events":[{"type":"t"}]},{"stream":"{{b}}","expectedVersion":"no_stream","events":[{"type":"t"}]}]}""");
        var ok = await SendAsync(HttpMethod.Post, "/append",
            $$"""{"streams":[{"stream":"{{a}}","expectedVersion":"no_stream","events":[{"type":"t"}]},{"stream":"{{b}}","expectedVersion":0,"events":[{"type":"t"}]}]}""");

        Assert.Equal(HttpStatusCode.Conflict, conflict.Status);
        Assert.Equal(HttpStatusCode.Created, ok.Status);
        Assert.Equal(2, ok.Body["results"]!.AsArray().Count);
        Assert.Equal(0, (await SendAsync(HttpMethod.Get, Path(a))).Body["version"]!.GetValue<int>());
    }

    [Fact]
    public async Task metrics_are_served_in_prometheus_text_format()
    {
        await SendAsync(HttpMethod.Post, Path(NewStream("metrics"), "/events"), """{"events":[{"type":"t"}]}""");

        using var response = await Http.GetAsync(new Uri("/metrics", UriKind.Relative));
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.MediaType, StringComparison.Ordinal);
        Assert.Contains("# TYPE fossil_appends_total counter", text, StringComparison.Ordinal);
        Assert.Matches("fossil_appends_total\\{result=\"created\"\\} [1-9]", text);
        Assert.Contains("fossil_append_duration_seconds_bucket{le=\"+Inf\"}", text, StringComparison.Ordinal);
        Assert.Matches("fossil_segments\\{status=\"active\"\\} [1-9]", text);
        Assert.Matches("fossil_group_commit_batch_appends_count [1-9]", text);
    }

    [Fact]
    public async Task read_latency_is_served_by_kind_and_outcome_in_the_buckets_of_append_latency()
    {
        var stream = NewStream("read-metrics");
        var entity = $"read-metrics-{Guid.NewGuid():N}";
        await SendAsync(HttpMethod.Post, Path(stream, "/events"), $$"""{"events":[{"type":"t","entities":["{{entity}}"]}]}""");
        var before = await Http.GetStringAsync(new Uri("/metrics", UriKind.Relative));

        var statuses = new List<HttpStatusCode>();
        foreach (var read in new[] { Path(stream, "/events"), "/all/events?limit=1", $"/entities/{entity}/events", Path(NewStream("missing"), "/events") })
            statuses.Add((await SendAsync(HttpMethod.Get, read)).Status);
        // The store records a read before it answers, so the scrape after the answers has it: no need to poll.
        var after = await Http.GetStringAsync(new Uri("/metrics", UriKind.Relative));

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.NotFound], statuses);
        Assert.Contains("# TYPE fossil_read_duration_seconds histogram", after, StringComparison.Ordinal);
        foreach (var labels in new[] { "kind=\"stream\",outcome=\"ok\"", "kind=\"all\",outcome=\"ok\"", "kind=\"entity\",outcome=\"ok\"", "kind=\"stream\",outcome=\"not_found\"" })
        {
            var (was, @is) = (PrometheusText.Count(before, "fossil_read_duration_seconds", labels), PrometheusText.Count(after, "fossil_read_duration_seconds", labels));
            Assert.True(@is > was, $"fossil_read_duration_seconds_count{{{labels}}} went from {was} to {@is}");
        }
        var appendBuckets = PrometheusText.Buckets(after, "fossil_append_duration_seconds", "");
        Assert.Contains("+Inf", appendBuckets);
        Assert.Equal(appendBuckets, PrometheusText.Buckets(after, "fossil_read_duration_seconds", "kind=\"stream\",outcome=\"ok\""));
    }

    [Fact]
    public async Task subscription_lag_is_measured_for_every_event_a_subscriber_receives()
    {
        var stream = NewStream("lag");
        await SendAsync(HttpMethod.Post, Path(stream, "/events"), """{"events":[{"type":"a"},{"type":"b"}]}""");
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var before = LagCount(await Http.GetStringAsync(new Uri("/metrics", UriKind.Relative), cancel.Token));

        await ReadSseAsync(Path(stream, "/subscribe"), null, count: 2, null, cancel.Token);

        var after = LagCount(await Http.GetStringAsync(new Uri("/metrics", UriKind.Relative), cancel.Token));
        Assert.True(after >= before + 2, $"lag observations went from {before} to {after}");
    }

    private static long LagCount(string metrics) =>
        System.Text.RegularExpressions.Regex.Match(metrics, "^fossil_subscription_lag_seconds_count (\\d+)", System.Text.RegularExpressions.RegexOptions.Multiline) is { Success: true } m
            ? long.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)
            : 0;

    [Fact]
    public async Task nodes_lists_the_running_node()
    {
        var self = Http.BaseAddress!.AbsoluteUri.TrimEnd('/');
        // The node registers in the background once it serves; wait for its key.
        await Poll.UntilAsync(async () =>
        {
            var (status, body) = await SendAsync(HttpMethod.Get, "/nodes");
            Assert.Equal(HttpStatusCode.OK, status);
            return body["nodes"]!.AsArray().SelectMany(n => n!["urls"]!.AsArray().Select(u => u!.GetValue<string>().TrimEnd('/'))).Contains(self);
        }, TimeSpan.FromSeconds(30), "the node lists itself");
    }

    [Fact]
    public async Task invalid_config_is_refused_and_leaves_config_unchanged()
    {
        var before = (await SendAsync(HttpMethod.Get, "/meta/config")).Body.ToJsonString();

        var (status, error) = await SendAsync(HttpMethod.Put, "/meta/config", """{"segment.retention":"7d","segment.duration":"soon"}""");
        var after = (await SendAsync(HttpMethod.Get, "/meta/config")).Body.ToJsonString();

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("segment.duration", error["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(before, after);
    }

    [Fact]
    public async Task a_stream_subscription_sends_history_then_live_events_and_resumes_from_last_event_id()
    {
        var stream = NewStream("sse");
        await SendAsync(HttpMethod.Post, Path(stream, "/events"), """{"events":[{"type":"a"},{"type":"b"}]}""");
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        var firstIds = await ReadSseAsync(Path(stream, "/subscribe"), null, count: 3,
            () => SendAsync(HttpMethod.Post, Path(stream, "/events"), """{"events":[{"type":"c"}]}"""), cancel.Token);
        var resumed = await ReadSseAsync(Path(stream, "/subscribe"), lastEventId: "1", count: 1, null, cancel.Token);

        Assert.Equal(["0", "1", "2"], firstIds);
        Assert.Equal(["2"], resumed);
    }

    [Theory]
    [InlineData("backward")]
    [InlineData("BACKWARD")]
    [InlineData("Backwards")]
    public async Task a_stream_reads_backward_from_its_end_whatever_the_case_of_direction(string direction)
    {
        var stream = NewStream("backward");
        await SendAsync(HttpMethod.Post, Path(stream, "/events"), """{"events":[{"type":"a"},{"type":"b"},{"type":"c"}]}""");

        var (status, page) = await SendAsync(HttpMethod.Get, Path(stream, $"/events?direction={direction}&limit=2"));

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal([2L, 1L], page["events"]!.AsArray().Select(e => e!["version"]!.GetValue<long>()));
        Assert.Equal(0, page["next"]!.GetValue<long>());
    }

    [Fact]
    public async Task a_stream_subscription_from_a_version_starts_with_that_version()
    {
        var stream = NewStream("sse-from");
        await SendAsync(HttpMethod.Post, Path(stream, "/events"), """{"events":[{"type":"a"},{"type":"b"},{"type":"c"},{"type":"d"}]}""");
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        var ids = await ReadSseAsync(Path(stream, "/subscribe?from=2"), null, count: 2, null, cancel.Token);

        Assert.Equal(["2", "3"], ids);
    }

    [Fact]
    public async Task a_reader_caught_up_on_the_global_log_subscribes_after_or_from_its_next_and_gets_the_next_event()
    {
        var prefix = NewStream("handoff");
        await SendAsync(HttpMethod.Post, Path($"{prefix}/a", "/events"), """{"events":[{"type":"a"}]}""");
        var next = "0";
        while (true)
        {
            var (_, page) = await SendAsync(HttpMethod.Get, $"/all/events?streamPrefix={Uri.EscapeDataString(prefix)}&from={next}");
            next = page["next"]!.GetValue<string>();
            if (page["events"]!.AsArray().Count == 0) break;
        }
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        string? appended = null;

        // The append happens while the first subscription is open, so it commits right at the end the reader reached.
        var afterNext = await ReadSseAsync($"/all/subscribe?streamPrefix={Uri.EscapeDataString(prefix)}&after={next}", null, count: 1,
            async () => appended = (await SendAsync(HttpMethod.Post, Path($"{prefix}/b", "/events"), """{"events":[{"type":"b"}]}""")).Body["position"]!.GetValue<string>(),
            cancel.Token);
        var fromNext = await ReadSseAsync($"/all/subscribe?streamPrefix={Uri.EscapeDataString(prefix)}&from={next}", null, count: 1, null, cancel.Token);

        Assert.Equal([appended!], afterNext);
        Assert.Equal([appended!], fromNext);
    }

    private async Task<List<string>> ReadSseAsync(string path, string? lastEventId, int count, Func<Task>? whileOpen, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (lastEventId is not null) request.Headers.Add("Last-Event-ID", lastEventId);
        using var response = await Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancellationToken));
        var ids = new List<string>();
        var sent = false;
        while (ids.Count < count)
        {
            var line = await reader.ReadLineAsync(cancellationToken) ?? throw new EndOfStreamException();
            if (line.StartsWith("id: ", StringComparison.Ordinal)) ids.Add(line[4..]);
            if (line.StartsWith("data: ", StringComparison.Ordinal)) Assert.NotNull(JsonNode.Parse(line[6..]));
            if (!sent && whileOpen is not null && ids.Count == count - 1)
            {
                sent = true;
                await whileOpen();
            }
        }
        return ids;
    }
}
