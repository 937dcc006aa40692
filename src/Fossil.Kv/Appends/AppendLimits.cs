namespace Fossil.Kv.Appends;

/// <summary>
/// How much one append and one transaction may hold. etcd refuses more than 128 operations in any of
/// a Txn's lists and requests over 1.5 MiB (<c>--max-request-bytes</c>), so every limit here keeps a
/// transaction inside both with room for keys and protobuf overhead.
/// </summary>
internal static class AppendLimits
{
    public const int MaxEventsPerAppend = 1000;
    public const int MaxTxnOps = 128;

    /// <summary>etcd's default request limit.</summary>
    public const long EtcdRequestBytes = 1_572_864;

    /// <summary>Room kept for keys, compares, the segment record and framing.</summary>
    public const long TxnOverheadBytes = 64 * 1024;

    /// <summary>The most an append's events may take once encoded.</summary>
    public const long MaxAppendBytes = EtcdRequestBytes - TxnOverheadBytes;

    /// <summary>
    /// Appends taken for one transaction. Each takes 1–4 compares, 1–2 puts and 2 failure reads; the Txn
    /// packs them until a list would pass 128 operations and carries the rest to the next one.
    /// </summary>
    public const int MaxAppendsPerTxn = 60;

    /// <summary>Events sharing one transaction (their index must stay below <see cref="Position.IndexLimit"/>).</summary>
    public const int MaxEventsPerTxn = 4000;

    /// <summary>Streams in one atomic append: each may take 4 compares, and the whole must fit one Txn.</summary>
    public const int MaxStreamsPerAppend = 25;

    public const int MaxTypeLength = 256;
    public const int MaxEntitiesPerEvent = 256;
    public const int MaxEntityBytes = 256;
}
