using System.Buffers.Binary;
using System.Runtime.InteropServices;
using ArmCrc = System.Runtime.Intrinsics.Arm.Crc32;
using X86Crc = System.Runtime.Intrinsics.X86.Sse42;

namespace Fossil.Kv.Vectors;

/// <summary>
/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78) as used by iSCSI, ext4 and RocksDB.
/// System.IO.Hashing is not on our package mirror, so this is our own: the SSE4.2 / ARMv8 CRC32
/// instruction when present, slicing-by-8 tables otherwise.
/// </summary>
public static class Crc32C
{
    private const uint Polynomial = 0x82F63B78u;
    private static readonly uint[] s_table = BuildTable();

    /// <summary>The CRC of <paramref name="data"/>.</summary>
    public static uint Compute(ReadOnlySpan<byte> data) => Append(0, data);

    /// <summary>Continues <paramref name="crc"/> (a previous result, 0 to start) over <paramref name="data"/>.</summary>
    public static uint Append(uint crc, ReadOnlySpan<byte> data) => ~Update(~crc, data);

    private static uint Update(uint crc, ReadOnlySpan<byte> data)
    {
        if (X86Crc.X64.IsSupported)
        {
            var longs = MemoryMarshal.Cast<byte, ulong>(data);
            ulong c = crc;
            foreach (var v in longs)
                c = X86Crc.X64.Crc32(c, v);
            crc = (uint)c;
            foreach (var b in data[(longs.Length * 8)..])
                crc = X86Crc.Crc32(crc, b);
            return crc;
        }
        if (ArmCrc.Arm64.IsSupported)
        {
            var longs = MemoryMarshal.Cast<byte, ulong>(data);
            foreach (var v in longs)
                crc = ArmCrc.Arm64.ComputeCrc32C(crc, v);
            foreach (var b in data[(longs.Length * 8)..])
                crc = ArmCrc.ComputeCrc32C(crc, b);
            return crc;
        }
        return UpdateSoftware(crc, data);
    }

    /// <summary>Portable slicing-by-8; also used by tests to cross-check the hardware path.</summary>
    internal static uint UpdateSoftware(uint crc, ReadOnlySpan<byte> data)
    {
        var t = s_table;
        while (data.Length >= 8)
        {
            var lo = BinaryPrimitives.ReadUInt32LittleEndian(data) ^ crc;
            var hi = BinaryPrimitives.ReadUInt32LittleEndian(data[4..]);
            crc = t[(7 * 256) + (lo & 0xFF)] ^ t[(6 * 256) + ((lo >> 8) & 0xFF)] ^ t[(5 * 256) + ((lo >> 16) & 0xFF)] ^ t[(4 * 256) + (lo >> 24)]
                ^ t[(3 * 256) + (hi & 0xFF)] ^ t[(2 * 256) + ((hi >> 8) & 0xFF)] ^ t[256 + ((hi >> 16) & 0xFF)] ^ t[hi >> 24];
            data = data[8..];
        }
        foreach (var b in data)
            crc = t[(crc ^ b) & 0xFF] ^ (crc >> 8);
        return crc;
    }

    private static uint[] BuildTable()
    {
        var table = new uint[8 * 256];
        for (uint i = 0; i < 256; i++)
        {
            var c = i;
            for (var k = 0; k < 8; k++)
                c = (c & 1) != 0 ? (c >> 1) ^ Polynomial : c >> 1;
            table[i] = c;
        }
        for (var i = 0; i < 256; i++)
        {
            for (var s = 1; s < 8; s++)
            {
                var prev = table[((s - 1) * 256) + i];
                table[(s * 256) + i] = (prev >> 8) ^ table[prev & 0xFF];
            }
        }
        return table;
    }
}
