using System.Runtime.CompilerServices;

namespace Fossil.Kv.Testing;

/// <summary>Unique key prefixes, so tests that share one etcd never see each other's keys.</summary>
public static class TestKeys
{
    public static string UniquePrefix([CallerMemberName] string test = "") =>
        $"/test/{test}-{Guid.NewGuid().ToString("N")[..12]}";
}
