namespace Fossil.Kv.Testing;

/// <summary>Locates the etcd binaries the test run starts: <c>FOSSIL_ETCD_BIN</c> or PATH.</summary>
public static class EtcdBinaries
{
    public static string Etcd => Find("etcd");

    public static string Etcdctl => Find("etcdctl");

    private static string Find(string name)
    {
        var dir = Environment.GetEnvironmentVariable("FOSSIL_ETCD_BIN");
        if (!string.IsNullOrEmpty(dir) && File.Exists(Path.Combine(dir, name))) return Path.Combine(dir, name);
        foreach (var entry in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator))
        {
            var candidate = Path.Combine(entry, name);
            if (File.Exists(candidate)) return candidate;
        }
        throw new FileNotFoundException(
            $"'{name}' was not found on PATH. Run 'scripts/etcd.sh install' (Debian: apt-get install -y etcd-server etcd-client) " +
            "or set FOSSIL_ETCD_ENDPOINTS to an etcd you run yourself.");
    }
}
