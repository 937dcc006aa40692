using System.Globalization;

namespace Fossil.Kv.Testing;

/// <summary>CPU time of another process, for benchmarks that charge etcd's or a node's work beside their own.</summary>
public static class ProcessCpu
{
    /// <summary>User + system CPU of <paramref name="processId"/> in microseconds from /proc (ticks of 10 ms), or null when unknown.</summary>
    public static double? Microseconds(int? processId)
    {
        if (processId is not { } pid) return null;
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
            return ticks * 10_000.0;
        }
        catch (IOException)
        {
            return null;
        }
    }
}
