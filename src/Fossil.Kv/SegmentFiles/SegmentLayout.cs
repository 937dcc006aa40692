namespace Fossil.Kv.SegmentFiles;

/// <summary>Fixed sizes and offsets of the segment file records (docs/formats/segment-files.md).</summary>
internal static class SegmentLayout
{
    /// <summary>documents.dat record header: int32 length, uint32 reserved (0), int64 segment position, int64 commit revision.</summary>
    public const int RecordHeaderSize = 24;

    /// <summary>Records start 8-byte aligned; padding is zero.</summary>
    public const int RecordAlignment = 8;

    /// <summary>Largest EventRecord accepted (etcd's request limit is far below this).</summary>
    public const int MaxRecordLength = 64 << 20;

    /// <summary>documents.idx entry: int64 segment position, int64 commit revision, int64 offset in documents.dat.</summary>
    public const int IndexEntrySize = 24;

    /// <summary>entities.idx key: kind, name length/offset, postings start/count, pairs count, first version or pairs start.</summary>
    public const int KeyEntrySize = 40;

    /// <summary>entities.idx directed pair: int32 key a, int32 key b, int64 count.</summary>
    public const int PairSize = 16;

    public const int PostingSize = 4;

    public const byte StreamKind = 0;
    public const byte EntityKind = 1;

    public static long Align8(long value) => (value + 7) & ~7L;

    public static long RecordSpan(int payloadLength) => Align8(RecordHeaderSize + (long)payloadLength);
}
