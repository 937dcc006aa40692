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
    public const int NumberWidth = 20;

    private readonly string _root;

    /// <param name="rootPrefix">Optional prefix for every key, e.g. <c>/tenant-a</c>; empty for none.</param>
    public KeyLayout(string? rootPrefix = null)
    {
        var root = (rootPrefix ?? "").TrimEnd('/');
        if (root.Length > 0 && root[0] != '/') root = "/" + root;
        _root = root;
    }

    public string RootPrefix => _root;

    public byte[] Config => Key("/meta/config");

    public byte[] Window => Key("/meta/window");

    /// <summary>When and to which revision etcd was last compacted; its compare-and-swap picks the node that compacts.</summary>
    public byte[] Compaction => Key("/meta/compaction");

    /// <summary>The node that holds the cluster-wide background work, on that node's lease.</summary>
    public byte[] BackgroundWork => Key("/meta/work");

    /// <summary>All of the store's metadata.</summary>
    public byte[] MetaPrefix => Key("/meta/");

    public byte[] SegmentsPrefix => Key("/meta/segments/");

    public byte[] Segment(SegmentId segment) => Key($"/meta/segments/{segment}");

    public byte[] StreamsPrefix => Key("/meta/streams/");

    public byte[] StreamHead(string stream) => Key($"/meta/streams/{StreamName.Escape(stream)}");

    public byte[] NodesPrefix => Key("/meta/nodes/");

    public byte[] Node(string nodeId) => Key($"/meta/nodes/{nodeId}");

    /// <summary>Prefix of all segment data; a watch on it sees every batch and entry of the store.</summary>
    public byte[] DataPrefix => Key("/s/");

    /// <summary>All keys of one segment: eviction deletes this one range.</summary>
    public byte[] SegmentData(SegmentId segment) => Key($"/s/{segment}/");

    public byte[] BatchPrefix(SegmentId segment) => Key($"/s/{segment}/e/");

    public byte[] Batch(SegmentId segment, long position) => Key($"/s/{segment}/e/{Number(position)}");

    public byte[] EntriesPrefix(SegmentId segment) => Key($"/s/{segment}/s/");

    public byte[] StreamEntriesPrefix(SegmentId segment, string stream) => Key($"/s/{segment}/s/{StreamName.Escape(stream)}/");

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

    public static string Number(long value)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(value);
        return value.ToString("D20", CultureInfo.InvariantCulture);
    }

    private byte[] Key(string path) => Encoding.UTF8.GetBytes(_root + path);
}
