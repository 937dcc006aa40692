using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace Fossil.Kv.Node.Tests;

/// <summary>A node of its own, so nothing but these cases writes under its prefix while they check that nothing was written.</summary>
[CollectionDefinition(Name)]
public sealed class BadInputCollection : ICollectionFixture<NodeFixture>
{
    public const string Name = "node-bad-input";
}

/// <summary>
/// SPEC §6 over HTTP: every malformed or oversized request gets the status and error code the contract
/// names and a message naming the problem, and leaves the store exactly as it was: no key under the
/// node's prefix written, the stream still absent (or at its version), the global log head where it was,
/// <c>/meta/config</c> and the segment catalog unchanged, no segment directory made.
/// </summary>
[Collection(BadInputCollection.Name)]
public sealed class BadInputTests(NodeFixture node)
{
    /// <summary>One bad request. <c>{s}</c> and <c>{s2}</c> become fresh stream names (escaped in paths), <c>{id}</c> a fresh UUID, <c>{latin1}</c> a byte that is not UTF-8.</summary>
    public sealed record BadRequest(HttpMethod Method, string Path, string? Body, HttpStatusCode Status, string Error, params string[] Mentions)
    {
        /// <summary>An append to <c>/streams/{s}/events</c> made before the case, whose result the case must leave alone.</summary>
        public string? Setup { get; init; }
    }

    private const string Unknown = "20200101T000000Z-p00-g000";
    private const string OneEvent = """[{"type":"t","data":{"n":1}}]""";
    private static readonly HttpStatusCode Bad = HttpStatusCode.BadRequest;
    private static readonly HttpStatusCode TooLarge = HttpStatusCode.RequestEntityTooLarge;

    private static BadRequest Append(string body, HttpStatusCode status, string error, params string[] mentions) =>
        new(HttpMethod.Post, "/streams/{s}/events", body, status, error, mentions);

    private static BadRequest Invalid(string body, params string[] mentions) => Append(body, Bad, "invalid_request", mentions);

    private static BadRequest Multi(string body, params string[] mentions) => new(HttpMethod.Post, "/append", body, Bad, "invalid_request", mentions);

    private static BadRequest Get(string path, HttpStatusCode status, string error, params string[] mentions) => new(HttpMethod.Get, path, null, status, error, mentions);

    private static BadRequest Config(string body, params string[] mentions) => new(HttpMethod.Put, "/meta/config", body, Bad, "invalid_request", mentions);

    private static string Events(int count) => "[" + string.Join(',', Enumerable.Repeat("""{"type":"t"}""", count)) + "]";

    public static readonly IReadOnlyDictionary<string, BadRequest> Cases = new Dictionary<string, BadRequest>
    {
        // The body.
        ["malformed JSON"] = Invalid("""{"events":[{"type":"t"}""", "JSON"),
        ["not JSON at all"] = Invalid("events please", "not valid JSON"),
        ["empty body"] = Invalid("", "no body"),
        ["body is an array"] = Invalid(OneEvent, "must be a JSON object"),
        ["events is an object"] = Invalid("""{"events":{"type":"t"}}""", "\"events\" must be an array"),
        ["missing events"] = Invalid("""{"expectedVersion":"any"}""", "no \"events\" array"),
        ["empty events"] = Invalid("""{"events":[]}""", "at least one event"),
        ["event is a number"] = Invalid("""{"events":[1]}""", "event 0 must be an object"),
        ["type is a number"] = Invalid("""{"events":[{"type":5}]}""", "\"type\" that is not a string"),
        ["missing type"] = Invalid("""{"events":[{"data":1}]}""", "no \"type\""),
        ["data nested 100 levels deep"] = Invalid($$"""{"events":[{"type":"t","data":{{new string('[', 100)}}{{new string(']', 100)}}}]}""", "depth"),
        ["a lone surrogate escaped in a type"] = Invalid("""{"events":[{"type":"a\uD800"}]}""", "event 0 \"type\" is not valid text"),
        ["a lone surrogate escaped in a stream name"] = Multi($$"""{"streams":[{"stream":"a\uDC00","events":{{OneEvent}}}]}""", "\"stream\" is not valid text"),
        ["a lone surrogate escaped in a property name"] = Invalid("""{"events":[{"type":"t","\uD800":1}]}""", "a property name is not valid text"),
        ["a lone surrogate escaped in a setting"] = Config("""{"segment.duration":"\uD800"}""", "not valid text"),
        ["bytes that are not UTF-8"] = Invalid("{\"events\":[{\"type\":\"{latin1}\"}]}", "event 0 \"type\" is not valid text", "not UTF-8"),
        ["unknown event property"] = Invalid("""{"events":[{"type":"t","colour":"red"}]}""", "unknown property 'colour'"),
        ["unknown body property"] = Invalid("""{"event":[{"type":"t"}]}""", "unknown property 'event'"),
        // Exactly one JSON object: what follows it, or a property given twice, would otherwise be dropped silently
        // while the rest is written.
        ["trailing text after the body"] = Invalid($$"""{"events":{{OneEvent}}} trailing""", "goes on after its JSON object"),
        ["a second object after the body"] = Invalid($$"""{"events":{{OneEvent}}}{"events":[{"type":"u"}]}""", "goes on after its JSON object"),
        ["a comment after the body"] = Invalid($$"""{"events":{{OneEvent}}} // retried""", "goes on after its JSON object"),
        ["events given twice"] = Invalid($$"""{"events":{{OneEvent}},"events":[{"type":"u"}]}""", "\"events\" is given more than once"),
        ["expectedVersion given twice"] = Invalid($$"""{"expectedVersion":"no_stream","expectedVersion":"any","events":{{OneEvent}}}""",
            "\"expectedVersion\" is given more than once"),
        ["data given twice in an event"] = Invalid("""{"events":[{"type":"t","data":1,"data":2}]}""", "event 0 \"data\" is given more than once"),
        ["type given twice in an event"] = Invalid("""{"events":[{"type":"t","type":"u"}]}""", "event 0 \"type\" is given more than once"),
        ["a multi-stream append with trailing text"] = Multi($$"""{"streams":[{"stream":"{s}","events":{{OneEvent}}}]} x""", "goes on after its JSON object"),
        ["a stream entry naming its stream twice"] = Multi($$"""{"streams":[{"stream":"{s}","stream":"{s2}","events":{{OneEvent}}}]}""",
            "streams[0] \"stream\" is given more than once"),
        ["a search with trailing text"] = new(HttpMethod.Post, "/search", """{"vector":[1,2,3]} x""", Bad, "invalid_request", "goes on after its JSON object"),
        ["a search with k given twice"] = new(HttpMethod.Post, "/search", """{"vector":[1,2,3],"k":1,"k":2}""", Bad, "invalid_request", "\"k\" is given more than once"),

        // Sizes.
        ["1001 events"] = Append($$"""{"events":{{Events(1001)}}}""", TooLarge, "too_large", "at most 1000 events", "1001"),
        ["an event over the etcd request limit"] = Append($$"""{"events":[{"type":"t","data":"{{new string('x', 1_600_000)}}"}]}""",
            TooLarge, "too_large", "1507328 bytes"),
        ["a request over the body limit"] = Append($$"""{"events":[{"type":"t","data":"{{new string('x', 9_000_000)}}"}]}""",
            TooLarge, "too_large", "8388608 bytes"),

        // Stream names.
        ["empty stream name"] = new(HttpMethod.Post, "/streams//events", $$"""{"events":{{OneEvent}}}""", Bad, "invalid_request", "stream"),
        ["257-byte stream name"] = new(HttpMethod.Post, $"/streams/{new string('n', 257)}/events", $$"""{"events":{{OneEvent}}}""", Bad, "invalid_request",
            "257 bytes", "256"),
        ["control character in stream name"] = new(HttpMethod.Post, "/streams/a%01b/events", $$"""{"events":{{OneEvent}}}""", Bad, "invalid_request",
            "control characters", "U+0001"),
        ["newline in stream name"] = new(HttpMethod.Post, "/streams/a%0Ab/events", $$"""{"events":{{OneEvent}}}""", Bad, "invalid_request",
            "control characters", "U+000A"),

        // Expected versions.
        ["expectedVersion \"-2\""] = Invalid($$"""{"expectedVersion":"-2","events":{{OneEvent}}}""", "\"expectedVersion\" must be"),
        ["expectedVersion \"abc\""] = Invalid($$"""{"expectedVersion":"abc","events":{{OneEvent}}}""", "\"expectedVersion\" must be"),
        ["expectedVersion 1.5"] = Invalid($$"""{"expectedVersion":1.5,"events":{{OneEvent}}}""", "\"expectedVersion\" must be"),
        ["expectedVersion -1"] = Invalid($$"""{"expectedVersion":-1,"events":{{OneEvent}}}""", "\"expectedVersion\" must be"),
        ["expectedVersion true"] = Invalid($$"""{"expectedVersion":true,"events":{{OneEvent}}}""", "\"expectedVersion\" must be"),
        ["expectedVersion over 2^63"] = Invalid($$"""{"expectedVersion":99999999999999999999,"events":{{OneEvent}}}""", "\"expectedVersion\" must be"),

        // Vectors: the store's dimension is fixed at 3 by the first vector appended (the setup).
        ["vector of the wrong dimension"] = Append("""{"events":[{"type":"t","vector":[1,2,3,4]}]}""", Bad, "invalid_request",
            "dimension 4", "vector.dimension is 3") with { Setup = """{"events":[{"type":"t","vector":[1,2,3]}]}""" },
        ["vector value overflowing float"] = Invalid("""{"events":[{"type":"t","vector":[1,1e39,3]}]}""", "number at index 1 (1E+39) does not fit a finite float32"),
        ["vector value that is a string"] = Invalid("""{"events":[{"type":"t","vector":[1,"x",3]}]}""", "\"vector\" that is not an array of numbers"),
        ["vector that is not an array"] = Invalid("""{"events":[{"type":"t","vector":{"x":1}}]}""", "\"vector\" that is not an array of numbers"),
        ["empty vector"] = Invalid("""{"events":[{"type":"t","vector":[]}]}""", "empty vector"),
        ["all-zero vector under the cosine metric"] = Invalid("""{"events":[{"type":"t","vector":[0,0,0]}]}""", "all-zero vector"),
        ["vector too close to zero under the cosine metric"] = Invalid("""{"events":[{"type":"t","vector":[1e-30,1e-30,0]}]}""", "too close to zero"),
        ["vector too long for float32 distances"] = Invalid("""{"events":[{"type":"t","vector":[3.4e38,0,0]}]}""", "too long for float32 distances"),
        ["the nil UUID as an event id"] = Invalid("""{"events":[{"type":"t","id":"00000000-0000-0000-0000-000000000000"}]}""", "nil UUID"),
        ["expectedVersion past the highest version"] = Invalid("""{"expectedVersion":9223372036854775807,"events":[{"type":"t"}]}""", "expectedVersion", "999999999999999999"),

        // Ids and idempotency.
        ["id that is not a UUID"] = Invalid("""{"events":[{"type":"t","id":"order-1"}]}""", "\"id\" that is not a UUID"),
        ["the same id twice in one append"] = Invalid("""{"events":[{"type":"t","id":"{id}"},{"type":"t","id":"{id}"}]}""", "appears twice"),
        ["a written id resent with other content"] = Append("""{"events":[{"type":"t","id":"{id}","data":2}]}""", HttpStatusCode.Conflict,
            "duplicate_event_id", "{id}", "already in stream") with { Setup = """{"events":[{"type":"t","id":"{id}","data":1}]}""" },

        // Data, metadata, entities.
        ["dataBase64 that is not base64"] = Invalid("""{"events":[{"type":"t","dataBase64":"not base64!"}]}""", "not base64"),
        ["both data and dataBase64"] = Invalid("""{"events":[{"type":"t","data":1,"dataBase64":"AA=="}]}""", "both \"data\" and \"dataBase64\""),
        ["metadata that is an array"] = Invalid("""{"events":[{"type":"t","metadata":[1]}]}""", "\"metadata\" that is not a JSON object"),
        ["metadata that is a string"] = Invalid("""{"events":[{"type":"t","metadata":"x"}]}""", "\"metadata\" that is not a JSON object"),
        ["entities that are numbers"] = Invalid("""{"events":[{"type":"t","entities":[1]}]}""", "\"entities\" that is not an array of strings"),
        ["entities that is a string"] = Invalid("""{"events":[{"type":"t","entities":"a"}]}""", "\"entities\" that is not an array of strings"),
        ["an empty entity"] = Invalid("""{"events":[{"type":"t","entities":["a",""]}]}""", "invalid entity name"),

        // Atomic multi-stream appends: nothing reaches the good stream either.
        ["the same stream twice"] = Multi($$"""{"streams":[{"stream":"{s}","events":{{OneEvent}}},{"stream":"{s}","events":{{OneEvent}}}]}""",
            "more than once"),
        ["one stream with a bad name"] = Multi($$"""{"streams":[{"stream":"{s2}","events":{{OneEvent}}},{"stream":"bad\u0007name","events":{{OneEvent}}}]}""",
            "control characters"),
        ["one stream with a bad event"] = Multi($$"""{"streams":[{"stream":"{s2}","events":{{OneEvent}}},{"stream":"{s}","events":[{"type":""}]}]}""",
            "streams[1] event 0 has no \"type\""),
        ["one stream with a bad expected version"] = Multi($$"""{"streams":[{"stream":"{s2}","events":{{OneEvent}}},{"stream":"{s}","expectedVersion":"soon","events":{{OneEvent}}}]}""",
            "streams[1] \"expectedVersion\" must be"),
        ["one stream with the wrong expected version"] = new(HttpMethod.Post, "/append",
            $$"""{"streams":[{"stream":"{s2}","expectedVersion":"no_stream","events":{{OneEvent}}},{"stream":"{s}","expectedVersion":"exists","events":{{OneEvent}}}]}""",
            HttpStatusCode.Conflict, "wrong_expected_version", "expected exists", "no_stream"),
        ["a stream entry without a name"] = Multi($$"""{"streams":[{"events":{{OneEvent}}}]}""", "needs a \"stream\""),
        ["no streams"] = Multi("""{"streams":[]}""", "at least one stream"),
        ["26 streams"] = new(HttpMethod.Post, "/append",
            "{\"streams\":[" + string.Join(',', Enumerable.Range(0, 26).Select(i => $$"""{"stream":"{s2}-{{i}}","events":{{OneEvent}}}""")) + "]}",
            HttpStatusCode.RequestEntityTooLarge, "too_large", "at most 25 streams"),

        // Reads.
        ["limit over 1000"] = Get("/streams/{s}/events?limit=1001", Bad, "invalid_request", "limit", "1 to 1000", "'1001'"),
        ["negative limit"] = Get("/streams/{s}/events?limit=-1", Bad, "invalid_request", "limit", "'-1'"),
        ["zero limit"] = Get("/streams/{s}/events?limit=0", Bad, "invalid_request", "limit", "'0'"),
        ["non-numeric limit"] = Get("/streams/{s}/events?limit=ten", Bad, "invalid_request", "limit", "'ten'"),
        ["negative from"] = Get("/streams/{s}/events?from=-3", Bad, "invalid_request", "from", "'-3'"),
        ["non-numeric from"] = Get("/streams/{s}/events?from=start", Bad, "invalid_request", "from", "'start'"),
        ["unknown direction"] = Get("/streams/{s}/events?direction=sideways", Bad, "invalid_request", "direction", "'sideways'"),
        ["global log limit over 1000"] = Get("/all/events?limit=5000", Bad, "invalid_request", "limit", "'5000'"),
        ["global log from that is not a position"] = Get("/all/events?from=yesterday", Bad, "invalid_request", "from", "position", "'yesterday'"),
        ["read a stream name with a control character"] = Get("/streams/a%01b/events", Bad, "invalid_request", "control characters"),
        ["info of a 257-byte stream name"] = Get($"/streams/{new string('n', 257)}", Bad, "invalid_request", "257 bytes"),
        ["subscribe to a stream name with a control character"] = Get("/streams/a%01b/subscribe", Bad, "invalid_request", "control characters"),
        ["subscription after that is not a version"] = Get("/streams/{s}/subscribe?after=latest", Bad, "invalid_request", "after", "'latest'"),
        ["subscription after the highest version"] = Get("/streams/{s}/subscribe?after=9223372036854775807", Bad, "invalid_request", "after", "999999999999999999"),
        ["subscription from a negative version"] = Get("/streams/{s}/subscribe?from=-1", Bad, "invalid_request", "from", "'-1'"),
        ["subscription both from and after a version"] = Get("/streams/{s}/subscribe?from=1&after=0", Bad, "invalid_request", "after", "from", "not both"),
        ["global log subscription both from and after"] = Get("/all/subscribe?from=5&after=4", Bad, "invalid_request", "not both"),
        ["global log subscription from that is not a position"] = Get("/all/subscribe?from=now", Bad, "invalid_request", "from", "'now'"),
        ["global log from a position out of range"] = Get("/all/events?from=99999999999999999999-9999", Bad, "invalid_request", "from is out of range", "index below 4096"),
        ["vectors flag that is not a boolean"] = Get("/streams/{s}/events?vectors=maybe", Bad, "invalid_request", "vectors", "'maybe'"),
        ["entity with a control character"] = Get("/entities/a%01b/events", Bad, "invalid_request", "entity name is invalid"),
        ["related entities of a 257-byte name"] = Get($"/entities/{new string('e', 257)}/related", Bad, "invalid_request", "1–256 bytes"),
        ["global log stream prefix with a control character"] = Get("/all/events?streamPrefix=%01", Bad, "invalid_request", "streamPrefix", "control characters"),
        ["global log subscription stream prefix with a control character"] = Get("/all/subscribe?streamPrefix=%01", Bad, "invalid_request", "streamPrefix"),

        // Segments.
        ["show an unknown segment"] = Get($"/segments/{Unknown}", HttpStatusCode.NotFound, "segment_not_found", Unknown),
        ["seal an unknown segment"] = new(HttpMethod.Post, $"/segments/{Unknown}/seal", null, HttpStatusCode.NotFound, "segment_not_found", Unknown),
        ["evict an unknown segment"] = new(HttpMethod.Delete, $"/segments/{Unknown}", null, HttpStatusCode.NotFound, "segment_not_found", Unknown),
        ["show a malformed segment id"] = Get("/segments/last-week", Bad, "invalid_request", "'last-week'", "not a segment id"),
        ["evict a malformed segment id"] = new(HttpMethod.Delete, "/segments/p00", null, Bad, "invalid_request", "'p00'", "not a segment id"),
        ["seal a malformed segment id"] = new(HttpMethod.Post, "/segments/20200101T000000Z-p00/seal", null, Bad, "invalid_request", "not a segment id"),
        ["list segments of an unknown status"] = Get("/segments?status=frozen", Bad, "invalid_request", "status", "'frozen'"),
        ["list dropped segments, whose records are gone"] = Get("/segments?status=dropped", Bad, "invalid_request", "active, sealed or expiring", "'dropped'"),

        // /meta/config: validated, all or nothing.
        ["unknown setting"] = Config("""{"segment.colour":"red"}""", "unknown setting 'segment.colour'"),
        ["a node-local setting"] = Config("""{"segment.directory":"/tmp/x"}""", "segment.directory is a node-local setting", "Fossil:Segment:Directory"),
        ["one setting named twice"] = Config("""{"segment.duration":"1h","segment.duration":"2h"}""", "not valid JSON", "Duplicate"),
        ["duration that is not a duration"] = Config("""{"segment.duration":"soon"}""", "segment.duration must be a duration", "'soon'"),
        ["zero partitions"] = Config("""{"segment.partitions":0}""", "segment.partitions", "from 1 to 60", "'0'"),
        ["too many partitions"] = Config("""{"segment.partitions":61}""", "segment.partitions", "from 1 to 60", "'61'"),
        ["negative max size"] = Config("""{"segment.max_size":"-1GB"}""", "segment.max_size must be a size", "'-1GB'"),
        ["setting that is a boolean"] = Config("""{"segment.retention":true}""", "'segment.retention' must be a string or a number"),
        ["config that is not an object"] = Config("""["segment.duration","1h"]""", "JSON object of settings"),
        ["config that is not JSON"] = Config("""{"segment.duration":""", "not valid JSON"),
        ["config that names no setting"] = Config("{}", "names no setting"),
        ["one good and one bad setting"] = Config("""{"segment.retention":"7d","hnsw.m":1}""", "hnsw.m", "from 2 to 128"),
    };

    public static TheoryData<string> CaseNames => [.. Cases.Keys];

    [Fact]
    public void the_table_covers_at_least_thirty_cases() => Assert.True(Cases.Count >= 30, $"{Cases.Count} cases");

    [Theory]
    [MemberData(nameof(CaseNames))]
    public async Task bad_input_gets_a_clear_error_and_writes_nothing(string name)
    {
        var c = Cases[name];
        await WaitForFirstWindowAsync();
        var s = $"bad-{Guid.NewGuid():N}";
        var s2 = $"good-{Guid.NewGuid():N}";
        var id = Guid.NewGuid().ToString();
        string Fill(string text, bool path) => text
            .Replace("{s2}", path ? Uri.EscapeDataString(s2) : s2, StringComparison.Ordinal)
            .Replace("{s}", path ? Uri.EscapeDataString(s) : s, StringComparison.Ordinal)
            .Replace("{id}", id, StringComparison.Ordinal);
        if (c.Setup is { } setup)
        {
            var (setupStatus, setupBody) = await SendAsync(HttpMethod.Post, $"/streams/{s}/events", Fill(setup, path: false));
            Assert.True(setupStatus == HttpStatusCode.Created, $"setup: {setupStatus} {setupBody}");
        }
        var before = await StateAsync(s, s2);

        var (status, body) = await SendAsync(c.Method, Fill(c.Path, path: true), c.Body is null ? null : Fill(c.Body, path: false));

        Assert.True(status == c.Status, $"expected {(int)c.Status}, got {(int)status}: {body}");
        var error = JsonNode.Parse(body)!;
        Assert.Equal(c.Error, error["error"]!.GetValue<string>());
        var message = error["message"]!.GetValue<string>();
        foreach (var mention in c.Mentions) Assert.Contains(Fill(mention, path: false), message, StringComparison.Ordinal);
        if (c.Status == TooLarge) Assert.NotNull(error["limit"]);
        var after = await StateAsync(s, s2);
        var changes = before.Keys.ChangesTo(after.Keys);
        Assert.True(changes.Count == 0, $"the request changed etcd: {string.Join(", ", changes)}");
        Assert.Equal(before with { Keys = after.Keys }, after);
    }

    /// <summary>The node opens the store's first window in the background soon after it starts; that write is not a request's.</summary>
    private Task WaitForFirstWindowAsync() =>
        Poll.UntilAsync(async () => JsonNode.Parse((await SendAsync(HttpMethod.Get, "/segments")).Body)!["segments"]!.AsArray().Count > 0,
            TimeSpan.FromSeconds(30), "the node has opened the first window");

    /// <summary>Everything a bad request must leave alone.</summary>
    private sealed record State(KeyspaceSnapshot Keys, string Stream, string OtherStream, string LogHead, string Config, string Segments, string SegmentDirectories);

    private async Task<State> StateAsync(string stream, string other)
    {
        // Node leases, the compaction marker and the background-work claim belong to the node, not to requests.
        var keys = await KeyspaceSnapshot.TakeAsync(node.EtcdEndpoints, node.RootPrefix + "/",
            node.RootPrefix + "/meta/nodes/", node.RootPrefix + "/meta/compaction", node.RootPrefix + "/meta/work");
        var directory = Path.Combine(node.WorkingDirectory, "data", "segments");
        return new State(
            keys,
            await StatusAndBodyAsync($"/streams/{Uri.EscapeDataString(stream)}"),
            await StatusAndBodyAsync($"/streams/{Uri.EscapeDataString(other)}"),
            await LogHeadAsync(),
            await StatusAndBodyAsync("/meta/config"),
            await StatusAndBodyAsync("/segments"),
            // Segment directories only: the node rewrites its `current` pointer file (through current.tmp) every round.
            Directory.Exists(directory) ? string.Join(',', Directory.GetDirectories(directory).Order(StringComparer.Ordinal)) : "(none)");
    }

    private string _logHead = "";

    /// <summary>The position after the last event of the global log, followed page by page from where the last look ended.</summary>
    private async Task<string> LogHeadAsync()
    {
        while (true)
        {
            var (status, body) = await SendAsync(HttpMethod.Get, _logHead.Length == 0 ? "/all/events?limit=1000" : $"/all/events?limit=1000&from={_logHead}");
            Assert.Equal(HttpStatusCode.OK, status);
            var page = JsonNode.Parse(body)!;
            var next = page["next"]!.GetValue<string>();
            var count = page["events"]!.AsArray().Count;
            _logHead = next;
            if (count == 0) return next;
        }
    }

    private async Task<string> StatusAndBodyAsync(string path)
    {
        var (status, body) = await SendAsync(HttpMethod.Get, path);
        return $"{(int)status} {body}";
    }

    private async Task<(HttpStatusCode Status, string Body)> SendAsync(HttpMethod method, string path, string? json = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (json is not null)
        {
            // {latin1} stands for one byte that cannot appear alone in UTF-8 (é in Latin-1).
            var bytes = Encoding.UTF8.GetBytes(json.Replace("{latin1}", "\u0001", StringComparison.Ordinal));
            if (json.Contains("{latin1}", StringComparison.Ordinal)) bytes[Array.IndexOf(bytes, (byte)1)] = 0xE9;
            request.Content = new ByteArrayContent(bytes);
            request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        }
        // As curl does for big bodies: a refusal then arrives before the body is sent, not as a broken pipe halfway.
        request.Headers.ExpectContinue = json?.Length > 1024 * 1024;
        using var response = await node.Http.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }
}
