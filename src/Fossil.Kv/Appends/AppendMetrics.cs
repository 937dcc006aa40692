namespace Fossil.Kv.Appends;

/// <summary>
/// Process-wide counters of the append path, for benchmarks and diagnostics: how many transactions
/// committed and how many appends and events they carried (appends per Txn is the group-commit batch
/// size), and how many transactions lost a compare. Cheap enough to stay on in production.
/// </summary>
internal static class AppendMetrics
{
    private static long _transactions;
    private static long _appends;
    private static long _events;
    private static long _conflicts;

    public static void Committed(int appends, int events)
    {
        Interlocked.Increment(ref _transactions);
        Interlocked.Add(ref _appends, appends);
        Interlocked.Add(ref _events, events);
        StoreMetrics.BatchAppends.Record(appends);
    }

    public static void Conflict()
    {
        Interlocked.Increment(ref _conflicts);
        StoreMetrics.TxnConflicts.Add(1);
    }

    public static Snapshot Read() => new(
        Interlocked.Read(ref _transactions), Interlocked.Read(ref _appends), Interlocked.Read(ref _events), Interlocked.Read(ref _conflicts));

    internal readonly record struct Snapshot(long Transactions, long Appends, long Events, long Conflicts)
    {
        public static Snapshot operator -(Snapshot a, Snapshot b) =>
            new(a.Transactions - b.Transactions, a.Appends - b.Appends, a.Events - b.Events, a.Conflicts - b.Conflicts);
    }
}
