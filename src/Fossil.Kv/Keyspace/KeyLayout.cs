using System.Globalization;
using System.Text;
using Fossil.Kv.Segments;

namespace Fossil.Kv.Keyspace;

/// <summary>
/// Every etcd key the store reads or writes, built in one place (byte layout: docs/formats/keyspace.md).
/// Numbers in keys are zero-padded to <see cref="NumberWidth"/> digits so byte order is numeric order.
/// </summary>
public sealed class KeyLayout
{
    /// <summary>Digits of every number in a key (positions, versions): enough for any non-negative <see cref="long"/>.</summary>
    public const int NumberWidth = 20;

    private readonly string _root;

    /// <summary>The keys of a store under <paramref name="rootPrefix"/>, normalized to a leading <c>/</c> and no trailing one.</summary>
    /// <param name="rootPrefix">Optional prefix for every key, e.g. <c>/tenant-a</c>; empty for none.</param>
    /// <exception cref="ArgumentException"><paramref name="rootPrefix"/> is one <see cref="RootPrefixProblem"/> refuses.</exception>
    public KeyLayout(string? rootPrefix = null)
    {
        _root = NormalizeRootPrefix(rootPrefix);
        if (RootPrefixProblem(rootPrefix) is { } problem) throw new ArgumentException($"Root prefix {problem}", nameof(rootPrefix));
    }

    /// <summary>A root prefix as keys use it: empty, or a leading <c>/</c> and no trailing one (<c>tenant-a/</c> is <c>/tenant-a</c>).</summary>
    public static string NormalizeRootPrefix(string? rootPrefix)
    {
        var root = (rootPrefix ?? "").TrimEnd('/');
        return root.Length > 0 && root[0] != '/' ? "/" + root : root;
    }

    /// <summary>
    /// Why <paramref name="rootPrefix"/> cannot be a store's root prefix (a phrase that follows its name, e.g.
    /// <c>'/meta' puts …</c>), or null when it can. The node (<c>Fossil:RootPrefix</c>), the CLI (<c>--prefix</c>)
    /// and this constructor all ask here, so they refuse the same prefixes.
    /// </summary>
    /// <remarks>
    /// Every store keeps its metadata under <c>&lt;prefix&gt;/meta/</c> and its segments under <c>&lt;prefix&gt;/s/</c>,
    /// so a prefix with a <c>meta</c> or <c>s</c> segment puts its store's keys inside those ranges of the store at
    /// the prefix before that segment (<c>/meta</c>: inside the default store's <c>/meta/</c>). That store's scans of
    /// its ranges (its status key counts, its watch on <c>/s/</c>) would then take in the other store's keys. No
    /// other prefix can reach into another store's keys: <c>/metadata</c> or <c>/s2</c> is a range of its own.
    /// </remarks>
    public static string? RootPrefixProblem(string? rootPrefix)
    {
        var root = NormalizeRootPrefix(rootPrefix);
        var start = 1;
        while (start <= root.Length)
        {
            var slash = root.IndexOf('/', start);
            var end = slash < 0 ? root.Length : slash;
            var segment = root[start..end];
            if (segment is "meta" or "s")
            {
                var owner = start == 1 ? "the default store (no prefix)" : $"the store at '{root[..(start - 1)]}'";
                var kind = segment == "meta" ? "metadata" : "segments";
                return $"'{root}' puts the store inside '{root[..end]}/', where {owner} keeps its {kind}: "
                    + "no segment of a prefix may be 'meta' or 's' (every store keeps its metadata under <prefix>/meta/ and its segments under <prefix>/s/); "
                    + "choose another, e.g. '/tenant-a'.";
            }
            start = end + 1;
        }
        return null;
    }

    /// <summary>The normalized root prefix: empty, or a leading <c>/</c> and no trailing one (<c>/tenant-a</c>).</summary>
    public string RootPrefix => _root;

    /// <summary><c>/meta/config</c>: the store-wide settings.</summary>
    public byte[] Config => Key("/meta/config");

    /// <summary><c>/meta/window</c>: the current time window and its active segments; every append compares its revision.</summary>
    public byte[] Window => Key("/meta/window");

    /// <summary>When and to which revision etcd was last compacted; its compare-and-swap picks the node that compacts.</summary>
    public byte[] Compaction => Key("/meta/compaction");

    /// <summary>The node that holds the cluster-wide background work, on that node's lease.</summary>
    public byte[] BackgroundWork => Key("/meta/work");

    /// <summary>All of the store's metadata.</summary>
    public byte[] MetaPrefix => Key("/meta/");

    /// <summary>Prefix of the segment catalog: one key per segment.</summary>
    public byte[] SegmentsPrefix => Key("/meta/segments/");

    /// <summary>The catalog entry of <paramref name="segment"/> (a JSON <see cref="SegmentRecord"/>).</summary>
    public byte[] Segment(SegmentId segment) => Key($"/meta/segments/{segment}");

    /// <summary>Prefix of every stream head.</summary>
    public byte[] StreamsPrefix => Key("/meta/streams/");

    /// <summary>The head of <paramref name="stream"/>: the segments it has events in. The name is escaped, so it holds no <c>/</c>.</summary>
    public byte[] StreamHead(string stream) => Key($"/meta/streams/{StreamName.Escape(stream)}");

    /// <summary>Prefix of the live nodes' registrations.</summary>
    public byte[] NodesPrefix => Key("/meta/nodes/");

    /// <summary>The registration of node <paramref name="nodeId"/> (a JSON <see cref="Cluster.NodeInfo"/>, on the node's lease).</summary>
    public byte[] Node(string nodeId) => Key($"/meta/nodes/{nodeId}");

    /// <summary>Prefix of all segment data; a watch on it sees every batch and entry of the store.</summary>
    public byte[] DataPrefix => Key("/s/");

    /// <summary>All keys of one segment: eviction deletes this one range.</summary>
    public byte[] SegmentData(SegmentId segment) => Key($"/s/{segment}/");

    /// <summary>Prefix of a segment's batches, which read in key order are its events in segment order.</summary>
    public byte[] BatchPrefix(SegmentId segment) => Key($"/s/{segment}/e/");

    /// <summary>The batch at key position <paramref name="position"/> (<c>base × 4096 + index</c>) of a segment.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="position"/> is negative.</exception>
    public byte[] Batch(SegmentId segment, long position) => Key($"/s/{segment}/e/{Number(position)}");

    /// <summary>Prefix of a segment's stream entries, for every stream.</summary>
    public byte[] EntriesPrefix(SegmentId segment) => Key($"/s/{segment}/s/");

    /// <summary>Prefix of one stream's entries in a segment, in version order.</summary>
    public byte[] StreamEntriesPrefix(SegmentId segment, string stream) => Key($"/s/{segment}/s/{StreamName.Escape(stream)}/");

    /// <summary>The entry of the append whose <b>last</b> event is <paramref name="version"/> of <paramref name="stream"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="version"/> is negative.</exception>
    public byte[] StreamEntry(SegmentId segment, string stream, long version) =>
        Key($"/s/{segment}/s/{StreamName.Escape(stream)}/{Number(version)}");

    /// <summary>The first key after every key that starts with <paramref name="prefix"/> (etcd's range_end).</summary>
    public static byte[] PrefixEnd(ReadOnlySpan<byte> prefix) => Etcd.EtcdKeys.PrefixEnd(prefix).ToByteArray();

    /// <summary>Parses <c>/s/&lt;sid&gt;/e/&lt;position&gt;</c>; false for any other key.</summary>
    public bool TryParseBatch(ReadOnlySpan<byte> key, out SegmentId segment, out long position)
    {
        segment = default;
        position = 0;
        if (!TrySplitData(key, out var sid, out var kind, out var rest) || kind != 'e') return false;
        return SegmentId.TryParse(sid, out segment) && TryParseNumber(rest, out position);
    }

    /// <summary>Parses <c>/s/&lt;sid&gt;/s/&lt;stream&gt;/&lt;version&gt;</c>; false for any other key.</summary>
    public bool TryParseStreamEntry(ReadOnlySpan<byte> key, out SegmentId segment, out string stream, out long version)
    {
        segment = default;
        stream = "";
        version = 0;
        if (!TrySplitData(key, out var sid, out var kind, out var rest) || kind != 's') return false;
        var slash = rest.LastIndexOf('/');
        if (slash <= 0 || !SegmentId.TryParse(sid, out segment) || !TryParseNumber(rest[(slash + 1)..], out version)) return false;
        if (StreamName.Unescape(rest[..slash]) is not { } name) return false;
        stream = name;
        return true;
    }

    private bool TrySplitData(ReadOnlySpan<byte> key, out string sid, out char kind, out string rest)
    {
        sid = rest = "";
        kind = '\0';
        var text = Encoding.UTF8.GetString(key);
        var prefix = _root + "/s/";
        if (!text.StartsWith(prefix, StringComparison.Ordinal)) return false;
        var remainder = text.AsSpan(prefix.Length);
        var slash = remainder.IndexOf('/');
        if (slash <= 0 || remainder.Length < slash + 3 || remainder[slash + 2] != '/') return false;
        sid = remainder[..slash].ToString();
        kind = remainder[slash + 1];
        rest = remainder[(slash + 3)..].ToString();
        return true;
    }

    private static bool TryParseNumber(string text, out long value)
    {
        value = 0;
        return text.Length == NumberWidth && long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }

    /// <summary><paramref name="value"/> zero-padded to <see cref="NumberWidth"/> digits, so byte order is numeric order.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="value"/> is negative.</exception>
    public static string Number(long value)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(value);
        return value.ToString("D20", CultureInfo.InvariantCulture);
    }

    private byte[] Key(string path) => Encoding.UTF8.GetBytes(_root + path);
}
