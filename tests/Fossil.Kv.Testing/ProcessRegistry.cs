namespace Fossil.Kv.Testing;

/// <summary>Kills every member still running when the test host exits normally (the watchdog covers a killed host).</summary>
internal static class ProcessRegistry
{
    private static readonly HashSet<EtcdMember> Running = [];

    static ProcessRegistry() => AppDomain.CurrentDomain.ProcessExit += (_, _) => KillAll();

    public static void Track(EtcdMember member)
    {
        lock (Running) Running.Add(member);
    }

    public static void Untrack(EtcdMember member)
    {
        lock (Running) Running.Remove(member);
    }

    private static void KillAll()
    {
        EtcdMember[] members;
        lock (Running) members = [.. Running];
        foreach (var member in members) member.Kill();
    }
}
