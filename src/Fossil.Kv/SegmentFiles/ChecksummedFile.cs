using Fossil.Kv.Vectors;

namespace Fossil.Kv.SegmentFiles;

/// <summary>Writes a file's payload after a reserved header while accumulating its CRC-32C, then writes the header and fsyncs.</summary>
internal sealed class ChecksummedFile : IDisposable
{
    private static readonly byte[] s_zeros = new byte[SegmentLayout.RecordAlignment];
    private readonly FileStream _stream;
    private uint _crc;

    public ChecksummedFile(string path)
    {
        Path = path;
        _stream = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16);
        _stream.Write(new byte[FileHeader.Size]);
        Length = FileHeader.Size;
    }

    public string Path { get; }

    /// <summary>Bytes written so far, header included.</summary>
    public long Length { get; private set; }

    public void Write(ReadOnlySpan<byte> bytes)
    {
        _stream.Write(bytes);
        _crc = Crc32C.Append(_crc, bytes);
        Length += bytes.Length;
    }

    /// <summary>Zero bytes up to the next multiple of 8.</summary>
    public void Pad8() => Write(s_zeros.AsSpan(0, (int)(SegmentLayout.Align8(Length) - Length)));

    /// <summary>Writes the header (with the payload checksum filled in), flushes to disk and closes.</summary>
    public SegmentFileEntry Finish(FileHeader header)
    {
        if (header.FileLength != Length || header.PayloadChecksum != _crc)
            throw new InvalidOperationException($"Header of {Path} does not describe what was written.");
        Span<byte> bytes = stackalloc byte[FileHeader.Size];
        header.Encode(bytes);
        _stream.Position = 0;
        _stream.Write(bytes);
        _stream.Flush(flushToDisk: true);
        _stream.Dispose();
        return new SegmentFileEntry(Length, SegmentFileMeta.Hex(_crc));
    }

    public uint Checksum => _crc;

    public void Dispose() => _stream.Dispose();
}
