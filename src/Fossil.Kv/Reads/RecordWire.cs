using System.Runtime.CompilerServices;

namespace Fossil.Kv.Reads;

/// <summary>
/// The Protocol Buffers wire format as stored records use it (varints, length-delimited fields, fixed 32/64-bit
/// values), read from spans with bounds checked on every step, for the decoders that read records without
/// the generated parser.
/// </summary>
internal static class RecordWire
{
    /// <summary>One-byte varints (tags, small numbers and lengths: most of a record's) take the inlined path.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong ReadVarint(ReadOnlySpan<byte> bytes, scoped ref int at)
    {
        if ((uint)at < (uint)bytes.Length && bytes[at] < 0x80) return bytes[at++];
        return ReadLongVarint(bytes, ref at);
    }

    private static ulong ReadLongVarint(ReadOnlySpan<byte> bytes, scoped ref int at)
    {
        ulong value = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if (at >= bytes.Length) throw Malformed("a truncated varint");
            var b = bytes[at++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80) return value;
        }
        throw Malformed("a varint longer than 10 bytes");
    }

    public static ReadOnlySpan<byte> ReadLengthDelimited(ReadOnlySpan<byte> bytes, scoped ref int at)
    {
        var length = ReadVarint(bytes, ref at);
        if (length > (ulong)(bytes.Length - at)) throw Malformed($"a field of {length} bytes past the record's end");
        return Take(bytes, ref at, (int)length);
    }

    public static ReadOnlySpan<byte> Take(ReadOnlySpan<byte> bytes, scoped ref int at, int length)
    {
        if (length > bytes.Length - at) throw Malformed("a truncated field");
        var slice = bytes.Slice(at, length);
        at += length;
        return slice;
    }

    public static void Skip(ReadOnlySpan<byte> bytes, scoped ref int at, int wire)
    {
        switch (wire)
        {
            case 0: ReadVarint(bytes, ref at); break;
            case 1: Take(bytes, ref at, 8); break;
            case 2: ReadLengthDelimited(bytes, ref at); break;
            case 5: Take(bytes, ref at, 4); break;
            default: throw Malformed($"wire type {wire}");
        }
    }

    public static InvalidDataException Malformed(string what) => new($"Not a well-formed event record: {what}.");
}
