using System.Text;
using System.Text.Json.Nodes;
using Fossil.Kv.Configuration;

namespace Fossil.Kv.Tests;

/// <summary>
/// SPEC §6 through the .NET API: every bad call throws the typed exception the contract names with a
/// message naming the problem, and leaves etcd exactly as it was (no key under the store's prefix
/// written), the stream absent or at its version, the global log as long as it was, the settings as
/// they were and no segment directory made.
/// </summary>
[Collection(EtcdCollection.Name)]
public sealed class BadInputTests(EtcdFixture etcd)
{
    /// <summary>What a call gets: the store, a fresh stream <see cref="S"/>, another <see cref="Other"/> that must stay empty, a fresh id.</summary>
    public sealed record Target(EventStore Store, string S, string Other, Guid Id);

    /// <summary>One bad call, the exception it must throw and what its message must mention.</summary>
    public sealed record BadCall(Type Throws, Func<Target, Task> Act, params string[] Mentions)
    {
        /// <summary>Work done before the call, whose result the call must leave alone.</summary>
        public Func<Target, Task>? Setup { get; init; }

        public Action<Exception>? Check { get; init; }
    }

    private static EventData Event(string type = "t", string data = """{"n":1}""", Guid? id = null) => StoreFactory.Json(type, data, id);

    private static EventData WithVector(params float[] vector) => new(null, "t", "{}"u8.ToArray()) { Vector = vector };

    private static EventData WithEntities(params string[] entities) => new(null, "t", "{}"u8.ToArray()) { Entities = entities };

    private static EventData WithMetadata(string metadata) => new(null, "t", "{}"u8.ToArray(), Encoding.UTF8.GetBytes(metadata));

    private static BadCall Append(Type throws, Func<Target, EventData[]> events, params string[] mentions) =>
        new(throws, t => t.Store.AppendToStreamAsync(t.S, StreamState.Any, events(t)), mentions);

    private static BadCall Invalid(Func<Target, EventData[]> events, params string[] mentions) => Append(typeof(InvalidRequestException), events, mentions);

    private static BadCall BadName(string stream, params string[] mentions) =>
        new(typeof(InvalidStreamNameException), t => t.Store.AppendToStreamAsync(stream, StreamState.Any, [Event()]), mentions);

    private static BadCall Multi(Type throws, Func<Target, StreamAppend[]> streams, params string[] mentions) =>
        new(throws, t => t.Store.AppendAsync(streams(t)), mentions);

    private static BadCall Setting(string name, string value, params string[] mentions) =>
        new(typeof(InvalidSettingException), t => t.Store.UpdateSettingsAsync(new JsonObject { [name] = value }), mentions)
        {
            Check = e => Assert.Equal(name, ((InvalidSettingException)e).Setting),
        };

    private static Action<Exception> Limit(long limit) => e => Assert.Equal(limit, ((AppendTooLargeException)e).Limit);

    private const string Unknown = "20200101T000000Z-p00-g000";
    private const long MaxAppendBytes = 1_572_864 - 64 * 1024;

    public static readonly IReadOnlyDictionary<string, BadCall> Calls = new Dictionary<string, BadCall>
    {
        // Stream names.
        ["null stream name"] = BadName(null!, "must not be empty"),
        ["empty stream name"] = BadName("", "must not be empty"),
        ["257-byte stream name"] = BadName(new string('n', 257), "257 bytes", "limit is 256"),
        ["129 two-byte characters"] = BadName(new string('é', 129), "258 bytes"),
        ["NUL in a stream name"] = BadName("a\0b", "control characters", "U+0000"),
        ["DEL in a stream name"] = BadName("a\u007Fb", "control characters", "U+007F"),
        ["lone surrogate in a stream name"] = BadName("a\uD800", "lone surrogate"),

        // Event lists and sizes.
        ["no events"] = Invalid(_ => [], "at least one event"),
        ["null event"] = Invalid(_ => [Event(), null!], "Event 1", "is null"),
        ["1001 events"] = Append(typeof(AppendTooLargeException), _ => StoreFactory.Events(1001), "at most 1000 events", "1001") with { Check = Limit(1000) },
        ["an event over the etcd request limit"] = Append(typeof(AppendTooLargeException),
            _ => [Event(data: $"\"{new string('x', 1_600_000)}\"")], $"at most {MaxAppendBytes} bytes") with { Check = Limit(MaxAppendBytes) },
        ["events that together pass the limit"] = Append(typeof(AppendTooLargeException),
            _ => [.. Enumerable.Range(0, 8).Select(_ => Event(data: $"\"{new string('x', 200_000)}\""))], $"at most {MaxAppendBytes} bytes") with { Check = Limit(MaxAppendBytes) },
        ["streams that together pass the limit"] = Multi(typeof(AppendTooLargeException),
            t => [new(t.S, StreamState.Any, [Event(data: $"\"{new string('x', 800_000)}\"")]), new(t.Other, StreamState.Any, [Event(data: $"\"{new string('y', 800_000)}\"")])],
            $"at most {MaxAppendBytes} bytes") with { Check = Limit(MaxAppendBytes) },

        // Event fields.
        ["empty type"] = Invalid(_ => [Event(type: "")], "Event 0", "has no type"),
        ["blank type"] = Invalid(_ => [Event(type: "  ")], "has no type"),
        ["type over 256 characters"] = Invalid(_ => [Event(type: new string('t', 257))], "type longer than 256"),
        ["control character in a type"] = Invalid(_ => [Event(type: "a\tb")], "control characters or a lone surrogate in its type"),
        ["lone surrogate in a type"] = Invalid(_ => [Event(type: "a\uD800")], "control characters or a lone surrogate in its type"),
        ["lone surrogate in an entity"] = Invalid(_ => [WithEntities("a\uDC00")], "invalid entity name"),
        ["JSON data that is not JSON"] = Invalid(_ => [new EventData(null, "t", "not json"u8.ToArray())], "data that is not valid JSON", "application/octet-stream"),
        ["JSON data with trailing bytes"] = Invalid(_ => [new EventData(null, "t", "{}{}"u8.ToArray())], "data that is not valid JSON"),
        ["unknown content type"] = Invalid(_ => [new EventData(null, "t", "x"u8.ToArray(), contentType: "text/plain")], "content type 'text/plain'"),
        ["metadata that is an array"] = Invalid(_ => [WithMetadata("[1]")], "metadata that is not a JSON object"),
        ["metadata that is not JSON"] = Invalid(_ => [WithMetadata("{\"a\":")], "metadata that is not valid JSON"),
        ["metadata with trailing data"] = Invalid(_ => [WithMetadata("{}{}")], "metadata that is not valid JSON"),
        ["NaN in a vector"] = Invalid(_ => [WithVector(1, float.NaN, 3)], "non-finite vector value", "index 1"),
        ["infinity in a vector"] = Invalid(_ => [WithVector(float.PositiveInfinity)], "non-finite vector value", "index 0"),
        ["empty vector"] = Invalid(_ => [WithVector()], "empty vector"),
        ["all-zero vector under the cosine metric"] = Invalid(_ => [WithVector(0, 0, 0)], "all-zero vector", "cosine"),
        // Non-zero, but its squared length is 0 in float32: the index could never normalize it.
        ["a vector too close to zero under the cosine metric"] = Invalid(_ => [WithVector(1e-30f, 1e-30f, 0)], "too close to zero", "cosine"),
        ["a vector whose squared length overflows float32"] = Invalid(_ => [WithVector(3.4e38f, 0, 0)], "too long for float32 distances"),
        ["a vector whose components square past float32"] = Invalid(_ => [WithVector(1e20f, 1e20f, 1e20f)], "too long for float32 distances"),
        ["vectors of two dimensions in one append"] = Invalid(_ => [WithVector(1, 2, 3), WithVector(1, 2)], "dimension 2", "vector.dimension is 3"),
        ["vector of the store's wrong dimension"] = Invalid(_ => [WithVector(1, 2, 3, 4)], "dimension 4", "vector.dimension is 3") with
        {
            Setup = t => t.Store.AppendToStreamAsync(t.S + "-vectors", StreamState.Any, [WithVector(1, 2, 3)]),
        },
        ["an empty entity"] = Invalid(_ => [WithEntities("a", "")], "invalid entity name"),
        ["an entity with a newline"] = Invalid(_ => [WithEntities("a\nb")], "invalid entity name"),
        ["an entity with a pair of surrogates (allowed) and a lone one"] = Invalid(_ => [WithEntities("\uD83D\uDE00", "\uD83D")], "invalid entity name"),
        ["an entity over 256 bytes"] = Invalid(_ => [WithEntities(new string('e', 257))], "invalid entity name", "1–256 bytes"),
        ["257 entities"] = Invalid(_ => [WithEntities([.. Enumerable.Range(0, 257).Select(i => $"e{i}")])], "more than 256 entities"),

        // Ids and idempotency.
        ["the same id twice in one append"] = Invalid(t => [Event(id: t.Id), Event(id: t.Id)], "appears twice"),
        ["a written id resent with other content"] = Append(typeof(DuplicateEventIdException), t => [Event(data: """{"n":2}""", id: t.Id)], "already in stream") with
        {
            Setup = t => t.Store.AppendToStreamAsync(t.S, StreamState.NoStream, [Event(id: t.Id)]),
        },
        ["a wrong expected version"] = new(typeof(WrongExpectedVersionException),
            t => t.Store.AppendToStreamAsync(t.S, StreamState.StreamRevision(3), [Event()]), "expected 3", "version 0")
        {
            Setup = t => t.Store.AppendToStreamAsync(t.S, StreamState.NoStream, [Event()]),
        },
        ["the store's first vector in an append with a wrong expected version"] = new(typeof(WrongExpectedVersionException),
            t => t.Store.AppendToStreamAsync(t.S, StreamState.NoStream, [WithVector(1, 2, 3)]), "no_stream", "version 0")
        {
            // The settings are in the before/after state: vector.dimension must stay unset.
            Setup = t => t.Store.AppendToStreamAsync(t.S, StreamState.NoStream, [Event()]),
        },

        // Atomic multi-stream appends: nothing reaches the good stream either.
        ["no streams"] = Multi(typeof(InvalidRequestException), _ => [], "at least one stream"),
        ["the same stream twice"] = Multi(typeof(InvalidRequestException), t => [new(t.S, StreamState.Any, [Event()]), new(t.S, StreamState.Any, [Event()])], "more than once"),
        ["26 streams"] = Multi(typeof(AppendTooLargeException), t => [.. Enumerable.Range(0, 26).Select(i => new StreamAppend($"{t.Other}-{i}", StreamState.Any, [Event()]))],
            "at most 25 streams"),
        ["one stream with a bad name"] = Multi(typeof(InvalidStreamNameException), t => [new(t.Other, StreamState.Any, [Event()]), new("bad\u0007", StreamState.Any, [Event()])],
            "control characters"),
        ["one stream with a bad event"] = Multi(typeof(InvalidRequestException), t => [new(t.Other, StreamState.Any, [Event()]), new(t.S, StreamState.Any, [Event(type: "")])],
            $"the append to '"),
        ["one stream with the wrong expected version"] = Multi(typeof(WrongExpectedVersionException),
            t => [new(t.Other, StreamState.NoStream, [Event()]), new(t.S, StreamState.StreamExists, [Event()])], "expected exists", "no_stream") with
        {
            // The window is opened before the first append; opening it is not the failed append's write.
            Setup = t => t.Store.AppendToStreamAsync(t.S + "-warm", StreamState.Any, [Event()]),
        },

        // Settings: validated, all or nothing.
        ["unknown setting"] = Setting("segment.colour", "red", "unknown setting 'segment.colour'"),
        ["duration that is not a duration"] = Setting("segment.duration", "soon", "must be a duration", "'soon'"),
        ["duration of a fraction of a second"] = Setting("segment.duration", "1500ms", "whole number of seconds"),
        ["zero partitions"] = Setting("segment.partitions", "0", "from 1 to 60", "'0'"),
        ["61 partitions"] = Setting("segment.partitions", "61", "from 1 to 60", "'61'"),
        ["negative max size"] = Setting("segment.max_size", "-1GB", "must be a size", "'-1GB'"),
        ["max size below 1MB"] = Setting("segment.max_size", "512KB", "at least 1MB"),
        ["unknown vector metric"] = Setting("vector.metric", "manhattan", "cosine, l2 or ip"),
        ["another vector metric once vectors are stored"] = Setting("vector.metric", "l2", "vector.metric is fixed once vector.dimension is", "'cosine'") with
        {
            Setup = t => t.Store.AppendToStreamAsync(t.S + "-vectors", StreamState.Any, [WithVector(1, 2, 3)]),
        },
        ["one good and one bad setting"] = new(typeof(InvalidSettingException),
            t => t.Store.UpdateSettingsAsync(new JsonObject { ["segment.retention"] = "7d", ["hnsw.m"] = "1" }), "hnsw.m", "from 2 to 128"),
        ["no settings"] = new(typeof(InvalidRequestException), t => t.Store.UpdateSettingsAsync([]), "names no setting"),

        // Queries.
        ["an entity query naming a control character"] = new(typeof(InvalidRequestException), t => t.Store.ReadEntityEventsAsync("a\u0001b"), "entity name is invalid"),
        ["an entity query over 256 bytes"] = new(typeof(InvalidRequestException), t => t.Store.GetRelatedEntitiesAsync(new string('e', 257)), "1–256 bytes"),
        ["a global log read with a control character in its stream prefix"] = new(typeof(InvalidRequestException),
            t => t.Store.ReadAllPageAsync(Position.Start, 10, new EventFilter("\u0001")), "streamPrefix", "control characters"),
        ["a multi-stream append that repeats only one of its streams"] = Multi(typeof(DuplicateEventIdException),
            t => [new(t.S, StreamState.Any, [Event(id: t.Id)]), new(t.Other, StreamState.Any, [Event()])], "already in stream", "at version 0") with
        {
            Setup = t => t.Store.AppendToStreamAsync(t.S, StreamState.Any, [Event(id: t.Id)]),
        },

        // Segments.
        ["an unknown segment"] = new(typeof(SegmentNotFoundException), t => t.Store.GetSegmentAsync(Unknown), Unknown),
        ["seal an unknown segment"] = new(typeof(SegmentNotFoundException), t => t.Store.SealSegmentAsync(Unknown), Unknown),
        ["evict a malformed segment id"] = new(typeof(SegmentNotFoundException), t => t.Store.EvictSegmentAsync("../../etc"), "'../../etc'"),
    };

    public static TheoryData<string> CallNames => [.. Calls.Keys];

    [Fact]
    public void the_table_covers_at_least_thirty_cases() => Assert.True(Calls.Count >= 30, $"{Calls.Count} cases");

    [Theory]
    [MemberData(nameof(CallNames))]
    public async Task bad_calls_throw_a_typed_error_and_write_nothing(string name)
    {
        var call = Calls[name];
        var directory = Path.Combine(Path.GetTempPath(), $"fossil-bad-{Guid.NewGuid():N}");
        var prefix = TestKeys.UniquePrefix("bad-input");
        await using var store = await StoreFactory.CreateAsync(etcd.Endpoints, o =>
        {
            o.RootPrefix = prefix;
            o.Segment.Directory = directory;
        });
        var target = new Target(store, $"s-{Guid.NewGuid():N}", $"other-{Guid.NewGuid():N}", Guid.NewGuid());
        if (call.Setup is { } setup) await setup(target);
        var before = await StateAsync(target, prefix);

        var error = await Assert.ThrowsAnyAsync<Exception>(() => call.Act(target));

        Assert.True(error.GetType() == call.Throws, $"expected {call.Throws.Name}, got {error.GetType().Name}: {error.Message}");
        foreach (var mention in call.Mentions) Assert.Contains(mention, error.Message, StringComparison.Ordinal);
        call.Check?.Invoke(error);
        var after = await StateAsync(target, prefix);
        var changes = before.Keys.ChangesTo(after.Keys);
        Assert.True(changes.Count == 0, $"the call changed etcd: {string.Join(", ", changes)}");
        Assert.Equal(before with { Keys = after.Keys }, after);
        Assert.False(Directory.Exists(directory), "a segment directory was made");
    }

    [Theory]
    [InlineData("-2")]
    [InlineData("-1")]
    [InlineData("abc")]
    [InlineData("1.5")]
    [InlineData("")]
    [InlineData(" 1")]
    [InlineData("99999999999999999999")]
    [InlineData("NO_STREAM")]
    public void expected_version_text_that_is_not_a_state_does_not_parse(string text) => Assert.False(StreamState.TryParse(text, out _));

    [Theory]
    [InlineData(-1)]
    [InlineData(StreamState.MaxVersion + 1)]
    [InlineData(long.MaxValue)]
    public void an_exact_expected_version_out_of_range_is_refused(long version) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => StreamState.StreamRevision(version));

    [Fact]
    public void the_highest_version_parses_and_one_more_does_not()
    {
        Assert.True(StreamState.TryParse(StreamState.MaxVersion.ToString(System.Globalization.CultureInfo.InvariantCulture), out var highest));
        Assert.Equal(StreamState.MaxVersion, highest.Value);
        Assert.False(StreamState.TryParse("1000000000000000000", out _));
    }

    [Fact]
    public async Task a_bad_first_append_does_not_seed_a_store()
    {
        var prefix = TestKeys.UniquePrefix();
        await using var etcdClient = new Etcd.EtcdClient(new Etcd.EtcdClientOptions { Endpoints = [.. etcd.Endpoints.Select(e => e.AbsoluteUri.TrimEnd('/'))] });
        // Constructed, not connected: nothing is written until the first append (as the CLI opens a store).
        await using var store = new EventStore(etcdClient, new FossilOptions { RootPrefix = prefix });

        await Assert.ThrowsAsync<InvalidRequestException>(() => store.AppendToStreamAsync("s", StreamState.Any, [WithVector(1, float.NaN)]));
        await Assert.ThrowsAsync<InvalidRequestException>(() => store.AppendToStreamAsync("s", StreamState.Any, [WithVector(0, 0, 0)]));
        await Assert.ThrowsAsync<InvalidRequestException>(() => store.AppendToStreamAsync("s", StreamState.Any, [Event(type: "")]));

        Assert.Empty((await EtcdCtl.RunAsync(etcd.Endpoints, "get", "--prefix", "--keys-only", prefix + "/")).Trim());
    }

    [Fact]
    public async Task a_stream_subscription_after_the_highest_version_is_refused()
    {
        await using var store = await StoreFactory.CreateAsync(etcd.Endpoints);

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () =>
        {
            await foreach (var _ in store.SubscribeToStreamAsync("s", long.MaxValue)) { }
        });
    }

    [Fact]
    public void the_nil_uuid_is_no_event_id() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new EventData(Guid.Empty, "t", "{}"u8.ToArray()));

    private sealed record State(KeyspaceSnapshot Keys, string Stream, string Other, int LogLength, string Settings);

    private async Task<State> StateAsync(Target target, string prefix)
    {
        var keys = await KeyspaceSnapshot.TakeAsync(etcd.Endpoints, prefix + "/");
        var log = 0;
        await foreach (var _ in target.Store.ReadAllAsync(Position.Start)) log++;
        return new State(keys, await DescribeAsync(target.Store, target.S), await DescribeAsync(target.Store, target.Other), log,
            string.Join(',', (await target.Store.GetSettingsAsync()).ToPairs()));
    }

    private static async Task<string> DescribeAsync(EventStore store, string stream)
    {
        try
        {
            var info = await store.GetStreamAsync(stream);
            return $"version {info.Version}";
        }
        catch (StreamNotFoundException)
        {
            return "absent";
        }
    }
}
