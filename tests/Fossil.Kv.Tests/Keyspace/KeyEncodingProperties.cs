using System.Text;
using FsCheck;
using FsCheck.Fluent;
using Fossil.Kv.Keyspace;
using Fossil.Kv.Segments;

namespace Fossil.Kv.Tests.Keyspace;

/// <summary>Properties of the key encoding that the store's correctness rests on.</summary>
public sealed class KeyEncodingProperties
{
    private static readonly KeyLayout Layout = new("/app");
    private static readonly SegmentId Segment = new(new DateTime(2026, 11, 22, 0, 0, 0, DateTimeKind.Utc), 3, 0);

    /// <summary>Stream names biased towards the characters that matter: '/', '%', escapes and non-ASCII.</summary>
    private static Arbitrary<string> StreamNames { get; } = Gen.ArrayOf(Gen.Elements('a', 'b', '/', '%', '2', 'F', '5', 'é', '€', ' ', '.'))
        .Where(chars => chars.Length is > 0 and <= 40)
        .Select(chars => new string(chars))
        .ToArbitrary();

    private static Arbitrary<long> Numbers { get; } = Gen.OneOf(
            Gen.Choose(0, 1000).Select(i => (long)i),
            Gen.Choose(0, int.MaxValue).Select(i => (long)i * 4096 + i % 4096),
            Gen.Elements(0L, long.MaxValue, long.MaxValue - 1, 9_999_999_999L, 10_000_000_000L))
        .ToArbitrary();

    [Fact]
    public void escaping_round_trips_and_never_contains_a_slash() =>
        Check.QuickThrowOnFailure(Prop.ForAll(StreamNames, name =>
        {
            var escaped = StreamName.Escape(name);
            return !escaped.Contains('/', StringComparison.Ordinal) && StreamName.Unescape(escaped) == name;
        }));

    [Fact]
    public void one_streams_key_prefix_never_covers_another_streams_keys() =>
        Check.QuickThrowOnFailure(Prop.ForAll(StreamNames, StreamNames, (a, b) =>
        {
            if (a == b) return true;
            var prefixA = Layout.StreamEntriesPrefix(Segment, a);
            var keyB = Layout.StreamEntry(Segment, b, 7);
            return !keyB.AsSpan().StartsWith(prefixA);
        }));

    [Fact]
    public void stream_a_and_a_slash_b_do_not_share_a_prefix()
    {
        var prefixA = Layout.StreamEntriesPrefix(Segment, "a");
        Assert.False(Layout.StreamEntry(Segment, "a/b", 0).AsSpan().StartsWith(prefixA));
        Assert.True(Layout.StreamEntry(Segment, "a", 0).AsSpan().StartsWith(prefixA));
    }

    [Fact]
    public void entry_keys_of_a_stream_sort_in_version_order() =>
        Check.QuickThrowOnFailure(Prop.ForAll(StreamNames, Numbers, Numbers, (stream, v1, v2) =>
        {
            var order = Layout.StreamEntry(Segment, stream, v1).AsSpan().SequenceCompareTo(Layout.StreamEntry(Segment, stream, v2));
            return Math.Sign(order) == Math.Sign(v1.CompareTo(v2));
        }));

    [Fact]
    public void batch_keys_sort_in_position_order_and_parse_back() =>
        Check.QuickThrowOnFailure(Prop.ForAll(Numbers, Numbers, (p1, p2) =>
        {
            var k1 = Layout.Batch(Segment, p1);
            var order = k1.AsSpan().SequenceCompareTo(Layout.Batch(Segment, p2));
            return Math.Sign(order) == Math.Sign(p1.CompareTo(p2))
                && Layout.TryParseBatch(k1, out var segment, out var position) && segment == Segment && position == p1;
        }));

    [Fact]
    public void entry_keys_parse_back_to_segment_stream_and_version() =>
        Check.QuickThrowOnFailure(Prop.ForAll(StreamNames, Numbers, (stream, version) =>
            Layout.TryParseStreamEntry(Layout.StreamEntry(Segment, stream, version), out var segment, out var parsed, out var parsedVersion)
            && segment == Segment && parsed == stream && parsedVersion == version));

    [Fact]
    public void segment_ids_sort_as_strings_in_the_same_order_as_values()
    {
        var times = Gen.Choose(0, 100_000).Select(s => DateTime.UnixEpoch.AddSeconds(s * 7919L));
        var ids = times.SelectMany(t => Gen.Choose(0, 99).SelectMany(p => Gen.Choose(0, 999).Select(g => new SegmentId(t, p, g)))).ToArbitrary();
        Check.QuickThrowOnFailure(Prop.ForAll(ids, ids, (a, b) =>
            Math.Sign(string.CompareOrdinal(a.ToString(), b.ToString())) == Math.Sign(a.CompareTo(b))
            && SegmentId.TryParse(a.ToString(), out var parsed) && parsed == a));
    }

    [Fact]
    public void positions_compare_as_strings_in_commit_order()
    {
        var positions = Numbers.Generator.SelectMany(r => Gen.Choose(0, Position.IndexLimit - 1).Select(i => new Position(r, i))).ToArbitrary();
        Check.QuickThrowOnFailure(Prop.ForAll(positions, positions, (a, b) =>
            Math.Sign(string.CompareOrdinal(a.ToString(), b.ToString())) == Math.Sign(a.CompareTo(b))
            && Position.Parse(a.ToString()) == a));
    }

    [Fact]
    public void a_positions_predecessor_and_successor_are_its_neighbours_in_commit_order()
    {
        // etcd's revisions are far below long.MaxValue; the last one has no successor.
        var positions = Numbers.Generator.Where(r => r < long.MaxValue)
            .SelectMany(r => Gen.Choose(0, Position.IndexLimit - 1).Select(i => new Position(r, i))).ToArbitrary();
        Check.QuickThrowOnFailure(Prop.ForAll(positions, p =>
            p.Successor > p && p.Successor.Predecessor == p
            && (p.Predecessor is not { } before || (before < p && before.Successor == p))));
        Assert.Null(Position.Start.Predecessor);
    }

    [Fact]
    public void the_end_of_a_revision_is_after_every_event_a_transaction_can_hold_and_before_the_next_revision()
    {
        // Reading from it and subscribing after it mean the same only while no event can sit at it.
        Assert.True(Fossil.Kv.Appends.AppendLimits.MaxEventsPerTxn <= Position.EndOfRevision(7).Index);
        Assert.Equal(new Position(8, 0), Position.EndOfRevision(7).Successor);
    }

    [Fact]
    public void root_prefix_is_normalised_and_applied_to_every_key()
    {
        Assert.Equal("/app/meta/config", Encoding.UTF8.GetString(new KeyLayout("app/").Config));
        Assert.Equal("/meta/config", Encoding.UTF8.GetString(new KeyLayout().Config));
        Assert.Equal("/s/20261122T000000Z-p03-g000/e/00000000000000000042", Encoding.UTF8.GetString(new KeyLayout().Batch(Segment, 42)));
    }

    [Theory]
    [InlineData("/meta", "'/meta/', where the default store (no prefix) keeps its metadata")]
    [InlineData("meta/", "'/meta/', where the default store (no prefix) keeps its metadata")]
    [InlineData("/s", "'/s/', where the default store (no prefix) keeps its segments")]
    [InlineData("/meta/tenant", "'/meta/', where the default store")]
    [InlineData("/tenant-a/meta", "'/tenant-a/meta/', where the store at '/tenant-a' keeps its metadata")]
    [InlineData("/tenant-a/s/x", "'/tenant-a/s/', where the store at '/tenant-a' keeps its segments")]
    public void a_root_prefix_inside_another_stores_reserved_range_is_refused(string prefix, string names)
    {
        var problem = KeyLayout.RootPrefixProblem(prefix);
        var thrown = Assert.Throws<ArgumentException>(() => new KeyLayout(prefix));

        Assert.NotNull(problem);
        Assert.Contains(names, problem, StringComparison.Ordinal);
        Assert.Contains(problem, thrown.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("/")]
    [InlineData("/metadata")]
    [InlineData("/s2")]
    [InlineData("/Meta")]
    [InlineData("/tenant-a/sx/meta-data")]
    public void a_root_prefix_of_a_range_of_its_own_is_taken(string? prefix)
    {
        Assert.Null(KeyLayout.RootPrefixProblem(prefix));
        Assert.Equal("/meta/config".Length + KeyLayout.NormalizeRootPrefix(prefix).Length, new KeyLayout(prefix).Config.Length);
    }

    /// <summary>Prefixes made of the names that matter ('meta', 's') and near misses, one to three segments deep, and none.</summary>
    private static Arbitrary<string> RootPrefixes { get; } = Gen.ArrayOf(Gen.Elements("meta", "s", "m", "metas", "s2", "a"))
        .Where(segments => segments.Length <= 3)
        .Select(segments => string.Concat(segments.Select(segment => "/" + segment)))
        .ToArbitrary();

    [Fact]
    public void no_store_at_a_prefix_taken_has_keys_in_another_stores_metadata_or_segments() =>
        Check.QuickThrowOnFailure(Prop.ForAll(RootPrefixes, RootPrefixes, (a, b) =>
        {
            if (a == b || KeyLayout.RootPrefixProblem(a) is not null || KeyLayout.RootPrefixProblem(b) is not null) return true;
            var (mine, other) = (new KeyLayout(a), new KeyLayout(b));
            return !mine.Config.AsSpan().StartsWith(other.MetaPrefix) && !mine.Config.AsSpan().StartsWith(other.DataPrefix)
                && !mine.DataPrefix.AsSpan().StartsWith(other.MetaPrefix) && !mine.DataPrefix.AsSpan().StartsWith(other.DataPrefix);
        }));

    [Fact]
    public void prefix_end_is_the_first_key_after_the_prefix()
    {
        Assert.Equal("/s0"u8.ToArray(), KeyLayout.PrefixEnd("/s/"u8));
        Assert.Equal(new byte[] { 0x62 }, KeyLayout.PrefixEnd(new byte[] { 0x61, 0xFF }));
        Assert.Equal(new byte[] { 0 }, KeyLayout.PrefixEnd(new byte[] { 0xFF, 0xFF }));
    }
}
