using System.Text;
using System.Text.Json;

namespace Fossil.Kv.Testing;

/// <summary>
/// Every key under a prefix with its mod revision, read with etcdctl (independent of the code under test).
/// Two snapshots that compare equal prove nothing under the prefix was written, deleted or rewritten.
/// </summary>
public sealed class KeyspaceSnapshot
{
    private readonly SortedDictionary<string, long> _revisions;

    private KeyspaceSnapshot(SortedDictionary<string, long> revisions) => _revisions = revisions;

    public int Count => _revisions.Count;

    /// <summary>Keys under <paramref name="prefix"/>, less those under any of <paramref name="ignored"/> (background work such as node leases).</summary>
    public static async Task<KeyspaceSnapshot> TakeAsync(IEnumerable<Uri> endpoints, string prefix, params string[] ignored)
    {
        var json = await EtcdCtl.RunAsync(endpoints, "get", "--prefix", prefix, "--keys-only", "-w", "json").ConfigureAwait(false);
        var revisions = new SortedDictionary<string, long>(StringComparer.Ordinal);
        using var document = JsonDocument.Parse(json);
        if (document.RootElement.TryGetProperty("kvs", out var kvs))
        {
            foreach (var kv in kvs.EnumerateArray())
            {
                var key = Encoding.UTF8.GetString(Convert.FromBase64String(kv.GetProperty("key").GetString()!));
                if (ignored.Any(i => key.StartsWith(i, StringComparison.Ordinal))) continue;
                revisions[key] = kv.GetProperty("mod_revision").GetInt64();
            }
        }
        return new KeyspaceSnapshot(revisions);
    }

    /// <summary>Keys added, removed or rewritten since this snapshot; empty when nothing changed.</summary>
    public IReadOnlyList<string> ChangesTo(KeyspaceSnapshot later)
    {
        ArgumentNullException.ThrowIfNull(later);
        var changes = new List<string>();
        foreach (var (key, revision) in later._revisions)
        {
            if (!_revisions.TryGetValue(key, out var before)) changes.Add($"added {key}");
            else if (before != revision) changes.Add($"rewrote {key}");
        }
        foreach (var key in _revisions.Keys)
            if (!later._revisions.ContainsKey(key)) changes.Add($"removed {key}");
        return changes;
    }
}
