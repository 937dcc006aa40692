using Fossil.Kv.Segments;
using Fossil.Kv.Vectors;

namespace Fossil.Kv.Tests.Search;

[Collection(EtcdCollection.Name)]
public sealed class SearchTests(EtcdFixture etcd) : IDisposable
{
    private const int Dimension = 16;
    private readonly string _directory = Directory.CreateTempSubdirectory("fossil-search-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private Task<EventStore> CreateStoreAsync(int partitions = 1, [System.Runtime.CompilerServices.CallerMemberName] string test = "") =>
        StoreFactory.CreateAsync(etcd.Endpoints, o =>
        {
            o.Segment.Partitions = partitions;
            o.Segment.Directory = _directory;
        }, test);

    private static EventData Event(float[]? vector, params string[] entities) =>
        new(null, "noted", "{}"u8.ToArray()) { Vector = vector, Entities = entities.Length == 0 ? null : entities };

    /// <summary>Appends each vector as one event, 100 per append, to streams named by <paramref name="streamOf"/>; returns what was written.</summary>
    private static async Task<List<RecordedEvent>> AppendVectorsAsync(EventStore store, float[][] vectors, Func<int, string> streamOf)
    {
        for (var start = 0; start < vectors.Length; start += 100)
        {
            var byStream = Enumerable.Range(start, Math.Min(100, vectors.Length - start)).GroupBy(streamOf);
            foreach (var group in byStream)
                await store.AppendToStreamAsync(group.Key, StreamState.Any, [.. group.Select(i => Event(vectors[i]))]);
        }
        return await store.ReadAllAsync(Position.Start).ToListAsync();
    }

    /// <summary>Gaussian clusters, seeded: centers N(0, 3²), points N(center, 1).</summary>
    private static float[][] Clustered(int count, int clusters, int seed)
    {
        var random = new Random(seed);
        var centers = Enumerable.Range(0, clusters).Select(_ => Enumerable.Range(0, Dimension).Select(_ => (float)(Gaussian(random) * 3)).ToArray()).ToArray();
        return [.. Enumerable.Range(0, count).Select(_ =>
        {
            var center = centers[random.Next(clusters)];
            return center.Select(c => c + (float)Gaussian(random)).ToArray();
        })];
    }

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

    /// <summary>The exact k nearest of what was appended, by event id.</summary>
    private static List<Guid> Exact(List<RecordedEvent> events, float[] query, int k, Func<RecordedEvent, bool>? filter = null)
    {
        using var exact = new BruteForceIndex(Dimension, VectorMetric.Cosine);
        for (var i = 0; i < events.Count; i++)
            if (events[i].Vector is { } v && (filter is null || filter(events[i]))) exact.Add(i, v);
        return [.. exact.Search(query, k).Select(m => events[(int)m.Label].Id)];
    }

    private static async Task<List<Guid>> SearchIdsAsync(EventStore store, VectorSearchQuery query) =>
        [.. (await store.SearchAsync(query)).Select(r => r.Event.Id)];

    [Fact]
    public async Task a_vector_searched_for_itself_is_at_distance_zero_never_below()
    {
        await using var store = await CreateStoreAsync();
        var random = new Random(5);
        var vectors = Enumerable.Range(0, 50).Select(_ => Enumerable.Range(0, Dimension).Select(_ => (float)random.NextDouble()).ToArray()).ToArray();
        await AppendVectorsAsync(store, vectors, _ => "self");

        foreach (var vector in vectors)
        {
            var nearest = (await store.SearchAsync(new VectorSearchQuery(vector, 1)))[0];
            // float32 rounding gave about -1.2e-7 for some vectors under cosine; distances are clamped at 0.
            Assert.InRange(nearest.Distance, 0f, 1e-6f);
        }
    }

    [Fact]
    public async Task search_over_an_active_and_a_sealed_segment_finds_the_true_nearest()
    {
        await using var store = await CreateStoreAsync();
        var vectors = Clustered(400, clusters: 8, seed: 1);
        var first = await AppendVectorsAsync(store, vectors[..200], i => "docs/a");
        await store.SealSegmentAsync(first[0].Segment);
        var all = await AppendVectorsAsync(store, vectors[200..], _ => "docs/b");
        var byId = all.ToDictionary(e => e.Id);
        Assert.Equal(2, all.Select(e => e.Segment).Distinct().Count());
        Assert.Equal(400, all.Count);

        var queries = Clustered(30, clusters: 8, seed: 2);
        var segmentsSeen = new HashSet<string>();
        foreach (var query in queries)
        {
            var results = await store.SearchAsync(new VectorSearchQuery(query, 10));
            var expected = Exact(all, query, 10);
            Assert.Equal(expected[0], results[0].Event.Id);
            Assert.True(results.Select(r => r.Distance).SequenceEqual(results.Select(r => r.Distance).Order()), "nearest first");
            Assert.True(expected.Intersect(results.Select(r => r.Event.Id)).Count() >= 9);
            foreach (var r in results) segmentsSeen.Add(r.Event.Segment);
            Assert.All(results, r => Assert.Equal(byId[r.Event.Id].Position, r.Event.Position));
        }
        Assert.Equal(2, segmentsSeen.Count);
        // The sealed segment was not here: the search materialized it.
        Assert.True(store.IsMaterialized(first[0].Segment));
    }

    [Fact]
    public async Task recall_at_10_through_the_store_is_at_least_0_95_on_clustered_data()
    {
        await using var store = await CreateStoreAsync(partitions: 2);
        var vectors = Clustered(3000, clusters: 20, seed: 3);
        var firstHalf = await AppendVectorsAsync(store, vectors[..1500], i => $"s{i % 7}");
        foreach (var segment in firstHalf.Select(e => e.Segment).Distinct()) await store.SealSegmentAsync(segment);
        var written = await AppendVectorsAsync(store, vectors[1500..], i => $"t{i % 7}");
        Assert.Equal(3000, written.Count);

        var queries = Clustered(100, clusters: 20, seed: 4);
        var found = 0;
        foreach (var query in queries)
        {
            var results = await SearchIdsAsync(store, new VectorSearchQuery(query, 10));
            found += Exact(written, query, 10).Intersect(results).Count();
        }
        var recall = found / (double)(queries.Length * 10);
        Assert.True(recall >= 0.95, $"recall@10 = {recall:F3}");
    }

    [Fact]
    public async Task every_filter_returns_exactly_the_matching_events()
    {
        await using var store = await CreateStoreAsync(partitions: 2);
        var vectors = Clustered(120, clusters: 4, seed: 5);
        for (var i = 0; i < 60; i++)
            await store.AppendToStreamAsync(i % 2 == 0 ? "keep/x" : "drop/x", StreamState.Any, [Event(vectors[i], i % 3 == 0 ? ["acme"] : ["other"])]);
        var early = await store.ReadAllAsync(Position.Start).ToListAsync();
        await store.SealSegmentAsync(early[0].Segment);
        for (var i = 60; i < 120; i++)
            await store.AppendToStreamAsync(i % 2 == 0 ? "keep/y" : "drop/y", StreamState.Any, [Event(vectors[i], i % 3 == 0 ? ["acme", "other"] : [])]);
        var all = await store.ReadAllAsync(Position.Start).ToListAsync();
        var from = all[30].Timestamp;
        var to = all[90].Timestamp;
        var query = Clustered(1, clusters: 4, seed: 6)[0];

        var filters = new (VectorSearchQuery Query, Func<RecordedEvent, bool> Matches)[]
        {
            (new VectorSearchQuery(query, 1000) { StreamPrefix = "keep/" }, e => e.Stream.StartsWith("keep/", StringComparison.Ordinal)),
            (new VectorSearchQuery(query, 1000) { Entity = "acme" }, e => e.Entities.Contains("acme")),
            (new VectorSearchQuery(query, 1000) { From = from }, e => e.Timestamp >= from),
            (new VectorSearchQuery(query, 1000) { To = to }, e => e.Timestamp <= to),
            (new VectorSearchQuery(query, 1000) { From = from, To = to, StreamPrefix = "keep/", Entity = "acme" },
                e => e.Timestamp >= from && e.Timestamp <= to && e.Stream.StartsWith("keep/", StringComparison.Ordinal) && e.Entities.Contains("acme")),
        };
        foreach (var (search, matches) in filters)
        {
            var expected = all.Where(matches).Select(e => e.Id).ToHashSet();
            var results = await SearchIdsAsync(store, search);
            Assert.NotEmpty(expected);
            Assert.True(expected.SetEquals(results), $"filter {search} returned {results.Count} events, {expected.Count} match");
        }
        // k smaller than the matching set: still only matching events, and the nearest of them.
        var top = await store.SearchAsync(new VectorSearchQuery(query, 5) { StreamPrefix = "keep/", Entity = "acme" });
        Assert.Equal(Exact(all, query, 5, e => e.Stream.StartsWith("keep/", StringComparison.Ordinal) && e.Entities.Contains("acme")), top.Select(r => r.Event.Id));
    }

    [Fact]
    public async Task expiring_and_evicted_segments_leave_the_pool()
    {
        await using var store = await CreateStoreAsync();
        var vectors = Clustered(40, clusters: 2, seed: 7);
        var old = await AppendVectorsAsync(store, vectors[..20], _ => "old");
        var oldSegment = old[0].Segment;
        await store.SealSegmentAsync(oldSegment);
        await store.MaterializeSegmentAsync(oldSegment);
        await AppendVectorsAsync(store, vectors[20..], _ => "new");
        await store.AppendToStreamAsync("tagged", StreamState.Any, [Event(vectors[0], "acme", "globex")]);
        Assert.Contains(await store.SearchAsync(new VectorSearchQuery(vectors[0], 40)), r => r.Event.Segment == oldSegment);

        // Expiring (as retention leaves it between its steps): out of search, entity reads and the graph.
        var id = SegmentId.Parse(oldSegment);
        var key = store.Context.Keys.Segment(id);
        var record = (await store.GetSegmentAsync(oldSegment)) with { Status = SegmentStatus.Expiring };
        await store.Etcd.PutAsync(Fossil.Kv.Keyspace.Ops.Bytes(key), Google.Protobuf.ByteString.CopyFrom(record.ToJsonBytes()));
        var results = await store.SearchAsync(new VectorSearchQuery(vectors[0], 40));
        Assert.Equal(21, results.Count);
        Assert.DoesNotContain(results, r => r.Event.Segment == oldSegment);

        await store.EvictSegmentAsync(oldSegment);
        results = await store.SearchAsync(new VectorSearchQuery(vectors[0], 40));
        Assert.Equal(21, results.Count);
        Assert.DoesNotContain(results, r => r.Event.Segment == oldSegment);
    }

    [Fact]
    public async Task entity_events_come_in_position_order_across_segments()
    {
        await using var store = await CreateStoreAsync(partitions: 2);
        for (var i = 0; i < 30; i++)
            await store.AppendToStreamAsync($"stream-{i % 5}", StreamState.Any, [Event(null, i % 2 == 0 ? ["acme"] : ["globex"])]);
        var sealedSegments = (await store.ReadAllAsync(Position.Start).ToListAsync()).Select(e => e.Segment).Distinct().ToList();
        Assert.Equal(2, sealedSegments.Count);
        await store.SealSegmentAsync(sealedSegments[0]);
        await store.MaterializeSegmentAsync(sealedSegments[0]);
        await store.SealSegmentAsync(sealedSegments[1]); // this one is materialized by the query
        for (var i = 30; i < 60; i++)
            await store.AppendToStreamAsync($"stream-{i % 5}", StreamState.Any, [Event(null, i % 2 == 0 ? ["acme", "acme"] : ["globex"])]);

        var expected = (await store.ReadAllAsync(Position.Start).ToListAsync()).Where(e => e.Entities.Contains("acme")).ToList();
        var events = await store.ReadEntityEventsAsync("acme", 1000);
        var limited = await store.ReadEntityEventsAsync("acme", 7);

        Assert.Equal(30, expected.Count);
        Assert.Equal(expected.Select(e => e.Id), events.Select(e => e.Id));
        Assert.Equal(expected.Select(e => e.Position), events.Select(e => e.Position));
        Assert.Equal(expected.Take(7).Select(e => e.Id), limited.Select(e => e.Id));
        Assert.Equal(4, events.Select(e => e.Segment).Distinct().Count());
        Assert.Empty(await store.ReadEntityEventsAsync("nobody"));
    }

    [Fact]
    public async Task graph_weights_are_kept_per_segment_so_eviction_removes_exactly_one_share()
    {
        await using var store = await CreateStoreAsync();
        await store.AppendToStreamAsync("a", StreamState.Any, [Event(null, "x", "y"), Event(null, "x", "y", "x"), Event(null, "y", "x"), Event(null, "x", "z")]);
        var first = (await store.ReadAllAsync(Position.Start).ToListAsync())[0].Segment;
        Assert.Equal([new RelatedEntity("y", 3), new RelatedEntity("z", 1)], await store.GetRelatedEntitiesAsync("x"));
        await store.SealSegmentAsync(first);
        await store.AppendToStreamAsync("a", StreamState.Any, [Event(null, "x", "y"), Event(null, "x", "y"), Event(null, "w")]);

        // The sealed segment from its in-memory index, then from its files: the same weights.
        var fromMemory = await store.GetRelatedEntitiesAsync("x");
        Assert.Equal(2, store.InMemorySearchSegments);
        await store.MaterializeSegmentAsync(first);
        var fromFiles = await store.GetRelatedEntitiesAsync("x");
        Assert.Equal([new RelatedEntity("y", 5), new RelatedEntity("z", 1)], fromMemory);
        Assert.Equal(fromMemory, fromFiles);
        Assert.Equal([new RelatedEntity("x", 5)], await store.GetRelatedEntitiesAsync("y"));
        Assert.Equal([new RelatedEntity("y", 5)], await store.GetRelatedEntitiesAsync("x", limit: 1));
        Assert.Empty(await store.GetRelatedEntitiesAsync("w"));

        await store.EvictSegmentAsync(first);

        Assert.Equal([new RelatedEntity("y", 2)], await store.GetRelatedEntitiesAsync("x"));
        Assert.Empty(await store.GetRelatedEntitiesAsync("z"));
    }

    [Fact]
    public async Task an_event_appended_after_a_search_is_found_by_the_next_search()
    {
        await using var store = await CreateStoreAsync();
        var vectors = Clustered(51, clusters: 3, seed: 8);
        await AppendVectorsAsync(store, vectors[..50], _ => "before");
        var probe = vectors[50];
        Assert.DoesNotContain(await store.SearchAsync(new VectorSearchQuery(probe, 1)), r => r.Event.Stream == "after");

        for (var round = 0; round < 3; round++)
        {
            var appended = await store.AppendToStreamAsync("after", StreamState.Any, [Event(probe, $"round-{round}")]);
            var nearest = await store.SearchAsync(new VectorSearchQuery(probe, round + 1));
            Assert.Contains(nearest, r => r.Event.Position == appended.Position);
            Assert.Equal([appended.Position], (await store.ReadEntityEventsAsync($"round-{round}")).Select(e => e.Position));
        }
    }

    [Fact]
    public async Task a_time_range_leaves_out_segments_whose_window_it_misses()
    {
        await using var store = await StoreFactory.CreateAsync(etcd.Endpoints, o =>
        {
            o.Segment.Duration = "1s";
            o.Segment.Partitions = 1;
            o.Segment.Directory = _directory;
        });
        var vectors = Clustered(2, clusters: 1, seed: 12);
        var old = await store.AppendToStreamAsync("early", StreamState.Any, [Event(vectors[0])]);
        AppendResult? recent = null;
        await Poll.UntilAsync(async () =>
        {
            await store.KeepWindowCurrentAsync();
            recent = await store.AppendToStreamAsync("late", StreamState.Any, [Event(vectors[1])]);
            return recent.Segment != old.Segment;
        }, TimeSpan.FromSeconds(30), "an append lands in a later window");
        var window = (await store.GetSegmentAsync(recent!.Segment)).TimeRange;

        var inRange = await store.SearchAsync(new VectorSearchQuery(vectors[0], 10) { From = window.Start });

        Assert.Equal([recent.Position], inRange.Select(r => r.Event.Position));
        // The old window was never opened: its sealed segment was not even materialized for the query.
        Assert.False(store.IsMaterialized(old.Segment));
        var everything = await store.SearchAsync(new VectorSearchQuery(vectors[0], 10));
        Assert.Contains(everything, r => r.Event.Position == old.Position);
        Assert.True(store.IsMaterialized(old.Segment));
    }

    [Fact]
    public async Task a_search_on_one_node_sees_what_another_node_appended_before_it()
    {
        await using var reader = await CreateStoreAsync();
        await using var writer = await StoreFactory.CreateAsync(etcd.Endpoints, o =>
        {
            o.RootPrefix = reader.Context.Options.RootPrefix;
            o.Segment.Directory = Path.Combine(_directory, "writer");
        });
        var vectors = Clustered(30, clusters: 3, seed: 11);
        await reader.StartSearchIndexingAsync();

        foreach (var vector in vectors)
        {
            var appended = await writer.AppendToStreamAsync("elsewhere", StreamState.Any, [Event(vector, "remote")]);
            var nearest = await reader.SearchAsync(new VectorSearchQuery(vector, 1));
            Assert.Equal(appended.Position, Assert.Single(nearest).Event.Position);
        }
        Assert.Equal(30, (await reader.ReadEntityEventsAsync("remote")).Count);
    }

    [Fact]
    public async Task the_in_memory_index_is_let_go_once_the_sealed_segment_is_materialized()
    {
        await using var store = await CreateStoreAsync();
        var vectors = Clustered(20, clusters: 2, seed: 9);
        var written = await AppendVectorsAsync(store, vectors, _ => "s");
        var before = await store.SearchAsync(new VectorSearchQuery(vectors[3], 5));
        Assert.Equal(1, store.InMemorySearchSegments);

        await store.SealSegmentAsync(written[0].Segment);
        await store.MaterializeSegmentAsync(written[0].Segment);
        var after = await store.SearchAsync(new VectorSearchQuery(vectors[3], 5));

        Assert.Equal(0, store.InMemorySearchSegments);
        Assert.Equal(before.Select(r => (r.Event.Id, r.Distance)), after.Select(r => (r.Event.Id, r.Distance)));
        Assert.Equal(vectors[3], after[0].Event.Vector);
    }

    [Fact]
    public async Task searches_running_while_events_arrive_and_a_segment_is_sealed_and_materialized_stay_complete()
    {
        await using var store = await CreateStoreAsync();
        var vectors = Clustered(300, clusters: 5, seed: 13);
        var first = await store.AppendToStreamAsync("s", StreamState.Any, [Event(vectors[0])]);
        using var stop = new CancellationTokenSource();
        var searches = 0;
        var searchers = Enumerable.Range(0, 3).Select(n => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                // Read-your-writes: whatever was committed before the query is there.
                var committed = (await store.ListSegmentsAsync()).Sum(s => s.DocumentCount);
                var results = await store.SearchAsync(new VectorSearchQuery(vectors[n], VectorSearchQuery.MaxK));
                if (results.Count < committed)
                {
                    var again = await store.SearchAsync(new VectorSearchQuery(vectors[n], VectorSearchQuery.MaxK));
                    var catalog = string.Join(", ", (await store.ListSegmentsAsync()).Select(s => $"{s.Id} {s.Status} {s.DocumentCount}"));
                    Assert.Fail($"{results.Count} results, {committed} events committed before the query; "
                        + $"{again.Count} on a second try; {store.InMemorySearchSegments} in-memory indexes; catalog: {catalog}");
                }
                Interlocked.Increment(ref searches);
            }
        })).ToList();

        for (var i = 1; i < 300; i += 10)
        {
            await store.AppendToStreamAsync("s", StreamState.Any, [.. vectors[i..Math.Min(i + 10, 300)].Select(v => Event(v))]);
            if (i == 151)
            {
                await store.SealSegmentAsync(first.Segment);
                await store.MaterializeSegmentAsync(first.Segment);
            }
        }
        await Poll.UntilAsync(() => Volatile.Read(ref searches) >= 30, TimeSpan.FromSeconds(60), "the searchers ran a while");
        await stop.CancelAsync();
        await Task.WhenAll(searchers);

        Assert.Equal(300, (await store.SearchAsync(new VectorSearchQuery(vectors[0], VectorSearchQuery.MaxK))).Count);
    }

    [Fact]
    public async Task bad_queries_are_refused_with_the_problem_named()
    {
        await using var store = await CreateStoreAsync();
        await store.AppendToStreamAsync("s", StreamState.Any, [Event(Clustered(1, 1, 10)[0])]);
        var good = new float[Dimension];
        good[0] = 1;
        var nan = (float[])good.Clone();
        nan[3] = float.NaN;
        var now = DateTimeOffset.UtcNow;

        var cases = new (Func<Task> Call, string Names)[]
        {
            (() => store.SearchAsync(new VectorSearchQuery([1, 2, 3])), "dimension"),
            (() => store.SearchAsync(new VectorSearchQuery(nan)), "NaN"),
            (() => store.SearchAsync(new VectorSearchQuery(new float[Dimension])), "all-zero"),
            (() => store.SearchAsync(new VectorSearchQuery([])), "no vector"),
            (() => store.SearchAsync(new VectorSearchQuery(good, 0)), "k must"),
            (() => store.SearchAsync(new VectorSearchQuery(good, 1001)), "k must"),
            (() => store.SearchAsync(new VectorSearchQuery(good) { Ef = 0 }), "ef must"),
            (() => store.SearchAsync(new VectorSearchQuery(good) { From = now, To = now.AddSeconds(-1) }), "is before from"),
            (() => store.SearchAsync(new VectorSearchQuery(good) { Entity = " " }), "entity"),
            (() => store.ReadEntityEventsAsync(""), "entity"),
            (() => store.ReadEntityEventsAsync("acme", 0), "limit"),
            (() => store.GetRelatedEntitiesAsync("acme", 1001), "limit"),
            (() => store.GetRelatedEntitiesAsync(""), "entity"),
        };
        foreach (var (call, names) in cases)
        {
            var error = await Assert.ThrowsAsync<InvalidRequestException>(call);
            Assert.Contains(names, error.Message, StringComparison.Ordinal);
            Assert.DoesNotContain("(Parameter", error.Message, StringComparison.Ordinal);
        }
    }
}
