using Etcdserverpb;
using Google.Protobuf;

namespace Fossil.Kv.Keyspace;

/// <summary>Short builders for the etcd compares and operations the store's transactions are made of.</summary>
internal static class Ops
{
    public static ByteString Bytes(byte[] bytes) => UnsafeByteOperations.UnsafeWrap(bytes);

    public static RequestOp Put(byte[] key, byte[] value) =>
        new() { RequestPut = new PutRequest { Key = Bytes(key), Value = Bytes(value) } };

    public static RequestOp Put(byte[] key, ByteString value) =>
        new() { RequestPut = new PutRequest { Key = Bytes(key), Value = value } };

    public static RequestOp Get(byte[] key) => new() { RequestRange = new RangeRequest { Key = Bytes(key) } };

    /// <summary>Keys in [from, end) in key order; limit 0 for all.</summary>
    public static RangeRequest Range(byte[] from, byte[] end, long limit = 0, bool keysOnly = false) =>
        new() { Key = Bytes(from), RangeEnd = Bytes(end), Limit = limit, KeysOnly = keysOnly };

    public static RequestOp RangeOp(byte[] from, byte[] end, long limit = 0) => new() { RequestRange = Range(from, end, limit) };

    public static Compare ModRevisionIs(byte[] key, long revision) => new()
    {
        Key = Bytes(key), Target = Compare.Types.CompareTarget.Mod, Result = Compare.Types.CompareResult.Equal, ModRevision = revision,
    };

    /// <summary>True while the key does not exist (a missing key's create revision is 0).</summary>
    public static Compare Missing(byte[] key) => CreatedAt(key, 0);

    /// <summary>True while the key is the incarnation created at <paramref name="revision"/> (deleting and re-creating it changes that).</summary>
    public static Compare CreatedAt(byte[] key, long revision) => new()
    {
        Key = Bytes(key), Target = Compare.Types.CompareTarget.Create, Result = Compare.Types.CompareResult.Equal, CreateRevision = revision,
    };

    public static Compare Exists(byte[] key) => new()
    {
        Key = Bytes(key), Target = Compare.Types.CompareTarget.Version, Result = Compare.Types.CompareResult.Greater, Version = 0,
    };

    /// <summary>True when no key exists in [from, end): a range compare on version 0 holds vacuously for an empty range.</summary>
    public static Compare NoKeysIn(byte[] from, byte[] end) => new()
    {
        Key = Bytes(from), RangeEnd = Bytes(end), Target = Compare.Types.CompareTarget.Version, Result = Compare.Types.CompareResult.Equal, Version = 0,
    };
}
