using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace Fossil.Kv.Node.Tests;

/// <summary><c>POST /search</c> and <c>/entities/{entity}/...</c> end to end on a node.</summary>
[Collection(NodeCollection.Name)]
public sealed class SearchApiTests(NodeFixture node)
{
    private HttpClient Http => node.Http;

    private async Task<(HttpStatusCode Status, JsonNode Body)> SendAsync(HttpMethod method, string path, string? json = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (json is not null) request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        using var response = await Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, JsonNode.Parse(text.Length == 0 ? "null" : text)!);
    }

    /// <summary>The store's vector dimension, fixing it at 4 when no vector was stored yet (other tests share the node).</summary>
    private async Task<int> DimensionAsync()
    {
        var (_, config) = await SendAsync(HttpMethod.Get, "/meta/config");
        var dimension = config["vector.dimension"]!.GetValue<int>();
        return dimension > 0 ? dimension : 4;
    }

    private static string Vector(int dimension, int hot, float scale = 1) =>
        "[" + string.Join(",", Enumerable.Range(0, dimension).Select(i => (i == hot % dimension ? scale : 0.01f * (i + 1)).ToString(CultureInfo.InvariantCulture))) + "]";

    [Fact]
    public async Task search_finds_the_nearest_events_and_entities_read_back_in_order()
    {
        var dimension = await DimensionAsync();
        var tag = $"acme-{Guid.NewGuid():N}";
        var partner = $"globex-{Guid.NewGuid():N}";
        var stream = $"search/{Guid.NewGuid():N}";
        var events = string.Join(",", Enumerable.Range(0, 6).Select(i =>
            $$"""{"type":"noted","data":{"i":{{i}}},"vector":{{Vector(dimension, i)}},"entities":["{{tag}}"{{(i % 2 == 0 ? $",\"{partner}\"" : "")}}]}"""));
        var (appended, _) = await SendAsync(HttpMethod.Post, $"/streams/{Uri.EscapeDataString(stream)}/events", $$"""{"events":[{{events}}]}""");
        Assert.Equal(HttpStatusCode.Created, appended);

        var (status, body) = await SendAsync(HttpMethod.Post, "/search?vectors=true", $$"""{"vector":{{Vector(dimension, 2)}},"k":3,"entity":"{{tag}}","streamPrefix":"search/"}""");
        var (eventsStatus, byEntity) = await SendAsync(HttpMethod.Get, $"/entities/{Uri.EscapeDataString(tag)}/events?limit=4");
        var (relatedStatus, related) = await SendAsync(HttpMethod.Get, $"/entities/{Uri.EscapeDataString(tag)}/related");

        Assert.Equal(HttpStatusCode.OK, status);
        var results = body["results"]!.AsArray();
        Assert.Equal(3, results.Count);
        var nearest = results[0]!["event"]!;
        Assert.Equal(2, nearest["data"]!["i"]!.GetValue<int>());
        Assert.Equal(stream, nearest["stream"]!.GetValue<string>());
        Assert.Equal(dimension, nearest["vector"]!.AsArray().Count);
        Assert.Contains(tag, nearest["entities"]!.AsArray().Select(e => e!.GetValue<string>()));
        var distances = results.Select(r => r!["distance"]!.GetValue<double>()).ToList();
        Assert.Equal(distances.Order(), distances);

        Assert.Equal(HttpStatusCode.OK, eventsStatus);
        Assert.Equal([0, 1, 2, 3], byEntity["events"]!.AsArray().Select(e => e!["data"]!["i"]!.GetValue<int>()));
        Assert.Null(byEntity["events"]![0]!["vector"]);

        Assert.Equal(HttpStatusCode.OK, relatedStatus);
        Assert.Equal(tag, related["entity"]!.GetValue<string>());
        var edge = Assert.Single(related["related"]!.AsArray());
        Assert.Equal((partner, 3), (edge!["entity"]!.GetValue<string>(), edge["weight"]!.GetValue<int>()));
    }

    [Fact]
    public async Task search_latency_is_served_by_kind_and_outcome_in_the_buckets_of_append_latency()
    {
        var dimension = await DimensionAsync();
        var tag = $"timed-{Guid.NewGuid():N}";
        await SendAsync(HttpMethod.Post, $"/streams/search-timed-{Guid.NewGuid():N}/events",
            $$"""{"events":[{"type":"t","vector":{{Vector(dimension, 0)}},"entities":["{{tag}}","{{tag}}-partner"]}]}""");
        var before = await Http.GetStringAsync(new Uri("/metrics", UriKind.Relative));

        var (found, _) = await SendAsync(HttpMethod.Post, "/search", $$"""{"vector":{{Vector(dimension, 0)}},"k":1}""");
        var (refused, _) = await SendAsync(HttpMethod.Post, "/search", $$"""{"vector":{{Vector(dimension + 1, 0)}},"k":1}""");
        var (related, _) = await SendAsync(HttpMethod.Get, $"/entities/{tag}/related");
        // The store records a search before it answers, so the scrape after the answers has it: no need to poll.
        var after = await Http.GetStringAsync(new Uri("/metrics", UriKind.Relative));

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.BadRequest, HttpStatusCode.OK), (found, refused, related));
        Assert.Contains("# TYPE fossil_search_duration_seconds histogram", after, StringComparison.Ordinal);
        foreach (var labels in new[] { "kind=\"vector\",outcome=\"ok\"", "kind=\"vector\",outcome=\"invalid\"", "kind=\"related\",outcome=\"ok\"" })
        {
            var (was, @is) = (PrometheusText.Count(before, "fossil_search_duration_seconds", labels), PrometheusText.Count(after, "fossil_search_duration_seconds", labels));
            Assert.True(@is > was, $"fossil_search_duration_seconds_count{{{labels}}} went from {was} to {@is}");
        }
        var appendBuckets = PrometheusText.Buckets(after, "fossil_append_duration_seconds", "");
        Assert.Contains("+Inf", appendBuckets);
        Assert.Equal(appendBuckets, PrometheusText.Buckets(after, "fossil_search_duration_seconds", "kind=\"vector\",outcome=\"ok\""));
    }

    [Theory]
    [InlineData("""{"k":3}""", "\"vector\"")]
    [InlineData("""{"vector":"x"}""", "\"vector\"")]
    [InlineData("""{"vector":[1],"k":"ten"}""", "\"k\"")]
    [InlineData("""{"vector":[1],"from":"yesterday"}""", "\"from\"")]
    [InlineData("""{"vector":[1],"entity":7}""", "\"entity\"")]
    [InlineData("""{"vector":[1],"entity":"\uD800"}""", "\"entity\" is not valid text")]
    [InlineData("""{"vector":[1],"streamPrefix":"\uDC00x"}""", "\"streamPrefix\" is not valid text")]
    [InlineData("""{"vector":[1],"colour":"red"}""", "unknown property")]
    [InlineData("""{"vector":[1]""", "JSON")]
    public async Task malformed_searches_answer_400_naming_the_problem(string body, string problem)
    {
        var (status, error) = await SendAsync(HttpMethod.Post, "/search", body);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("invalid_request", error["error"]!.GetValue<string>());
        Assert.Contains(problem, error["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task searches_with_values_out_of_range_answer_400_naming_them()
    {
        var dimension = await DimensionAsync();
        // Fix the dimension for the node, as an append with a vector does.
        await SendAsync(HttpMethod.Post, $"/streams/search-range-{Guid.NewGuid():N}/events", $$"""{"events":[{"type":"t","vector":{{Vector(dimension, 0)}}}]}""");
        var good = Vector(dimension, 1);
        var nan = "[" + string.Join(",", Enumerable.Repeat("1e39", dimension)) + "]";

        var cases = new (string Body, string Problem)[]
        {
            ($$"""{"vector":{{good}},"k":0}""", "k must"),
            ($$"""{"vector":{{good}},"k":1001}""", "k must"),
            ($$"""{"vector":{{good}},"from":"2026-11-22T10:00:00Z","to":"2026-11-22T09:00:00Z"}""", "is before from"),
            ($$"""{"vector":{{good}},"entity":""}""", "entity"),
            ($$"""{"vector":{{nan}}}""", "finite"),
            ($$"""{"vector":{{Vector(dimension + 1, 0)}}}""", "dimension"),
        };
        foreach (var (body, problem) in cases)
        {
            var (status, error) = await SendAsync(HttpMethod.Post, "/search", body);
            Assert.True(status == HttpStatusCode.BadRequest, $"{body}: {status} {error}");
            Assert.Contains(problem, error["message"]!.GetValue<string>(), StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("/entities/%20/events", "entity")]
    [InlineData("/entities/acme/events?limit=0", "limit")]
    [InlineData("/entities/acme/related?limit=5000", "limit")]
    public async Task bad_entity_reads_answer_400(string path, string problem)
    {
        var (status, error) = await SendAsync(HttpMethod.Get, path);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains(problem, error["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task an_unknown_entity_has_no_events_and_no_relations()
    {
        var entity = $"nobody/{Guid.NewGuid():N}";
        var (eventsStatus, events) = await SendAsync(HttpMethod.Get, $"/entities/{Uri.EscapeDataString(entity)}/events");
        var (relatedStatus, related) = await SendAsync(HttpMethod.Get, $"/entities/{Uri.EscapeDataString(entity)}/related");
        var (unknownStatus, _) = await SendAsync(HttpMethod.Get, $"/entities/{Uri.EscapeDataString(entity)}/friends");

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.NotFound), (eventsStatus, relatedStatus, unknownStatus));
        Assert.Empty(events["events"]!.AsArray());
        Assert.Equal(entity, related["entity"]!.GetValue<string>());
        Assert.Empty(related["related"]!.AsArray());
    }
}
