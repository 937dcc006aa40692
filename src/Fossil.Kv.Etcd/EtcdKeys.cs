using System.Text;
using Google.Protobuf;

namespace Fossil.Kv.Etcd;

/// <summary>Key helpers: prefix ranges and zero-copy conversions.</summary>
public static class EtcdKeys
{
    /// <summary>The range_end that covers every key starting with <paramref name="prefix"/> ("\0" for all keys).</summary>
    public static ByteString PrefixEnd(ReadOnlySpan<byte> prefix)
    {
        for (var i = prefix.Length - 1; i >= 0; i--)
        {
            if (prefix[i] == 0xff) continue;
            var end = prefix[..(i + 1)].ToArray();
            end[i]++;
            return UnsafeByteOperations.UnsafeWrap(end);
        }

        // Empty prefix or all 0xff: no upper bound.
        return UnsafeByteOperations.UnsafeWrap(new byte[] { 0 });
    }

    /// <summary>The range_end that covers every key starting with <paramref name="prefix"/> ("\0" for all keys).</summary>
    public static ByteString PrefixEnd(ByteString prefix) => PrefixEnd(prefix.Span);

    /// <summary>Wraps memory as a key without copying. The memory must not change while the message is in use.</summary>
    public static ByteString Wrap(ReadOnlyMemory<byte> bytes) => UnsafeByteOperations.UnsafeWrap(bytes);

    /// <summary>UTF-8 key (one copy, into a new array that is then wrapped).</summary>
    public static ByteString FromString(string key) => UnsafeByteOperations.UnsafeWrap(Encoding.UTF8.GetBytes(key));
}
