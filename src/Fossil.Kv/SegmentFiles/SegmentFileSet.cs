using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using System.Text.Unicode;
using Fossil.Kv.Vectors;

namespace Fossil.Kv.SegmentFiles;

/// <summary>
/// A sealed segment's files, opened read-only over memory maps (layout: docs/formats/segment-files.md).
/// Reads are zero-copy and safe from any number of threads. Memory handed out (<see cref="SegmentDocument.Record"/>)
/// points into the mapping and is valid only until <see cref="Dispose"/> (and the end of the last lease taken by a
/// <see cref="SealedSegmentReader"/>); callers that keep a record must copy it (or parse it) first, and must not
/// dispose the set while reads are in flight.
/// </summary>
public sealed partial class SegmentFileSet : IDisposable
{
    private readonly MappedSegmentFile _documents;
    private readonly MappedSegmentFile _index;
    private readonly MappedSegmentFile _entities;
    private readonly EntitiesLayout _layout;
    private readonly int _count;
    private volatile bool _disposed;
    // The owner's reference plus one per lease: the maps are let go when the owner has disposed the set and
    // the last lease has ended, so a lease holder's memory stays mapped through an eviction.
    private int _references = 1;
    private int _disposeRequested;

    /// <summary>The validated <c>meta.json</c>.</summary>
    public SegmentFileMeta Meta { get; }

    /// <summary>The segment directory.</summary>
    public string Directory { get; }

    /// <summary>Number of documents (events).</summary>
    public int Count => _count;

    /// <summary>Distinct streams with events in the segment.</summary>
    public int StreamCount => (int)_layout.StreamKeys;

    /// <summary>Distinct entities mentioned by the segment's events.</summary>
    public int EntityCount => (int)(_layout.KeyCount - _layout.StreamKeys);

    /// <summary>The segment's vector index (labels are segment positions), or null when no event has a vector.
    /// Owned by the set: disposed with it.</summary>
    public IVectorIndex? Vectors { get; }

    /// <summary>The document with ordinal <paramref name="ordinal"/> (0 .. <see cref="Count"/> - 1, segment order).</summary>
    public SegmentDocument Get(int ordinal)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentOutOfRangeException.ThrowIfNegative(ordinal);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(ordinal, _count);
        var entry = _index.Span(FileHeader.Size + ((long)ordinal * SegmentLayout.IndexEntrySize), SegmentLayout.IndexEntrySize);
        var position = BinaryPrimitives.ReadInt64LittleEndian(entry);
        var revision = BinaryPrimitives.ReadInt64LittleEndian(entry[8..]);
        var offset = BinaryPrimitives.ReadInt64LittleEndian(entry[16..]);
        // Bounds are checked on every read, so even an unverified damaged file cannot make a read leave the mapping.
        if (offset < FileHeader.Size || offset > _documents.Length - SegmentLayout.RecordHeaderSize)
            Corrupt(_index.Path, $"entry {ordinal} points at offset {offset}, outside documents.dat");
        var header = _documents.Span(offset, SegmentLayout.RecordHeaderSize);
        var length = BinaryPrimitives.ReadInt32LittleEndian(header);
        if (length < 0 || length > SegmentLayout.MaxRecordLength || length > _documents.Length - offset - SegmentLayout.RecordHeaderSize)
            Corrupt(_documents.Path, $"record {ordinal} at offset {offset} has length {length}, past the end of the file");
        if (BinaryPrimitives.ReadInt64LittleEndian(header[8..]) != position || BinaryPrimitives.ReadInt64LittleEndian(header[16..]) != revision)
            Corrupt(_documents.Path, $"record {ordinal} at offset {offset} does not match its documents.idx entry");
        return new SegmentDocument(ordinal, position, revision, _documents.Memory(offset + SegmentLayout.RecordHeaderSize, length));
    }

    /// <summary>The document at <paramref name="segmentPosition"/>, if the segment has one there.</summary>
    public bool TryGet(long segmentPosition, out SegmentDocument document)
    {
        var ordinal = FindOrdinal(segmentPosition);
        if (ordinal < _count && SegmentPositionAt(ordinal) == segmentPosition)
        {
            document = Get(ordinal);
            return true;
        }
        document = default;
        return false;
    }

    /// <summary>Ordinal of the first document at or after <paramref name="segmentPosition"/>; <see cref="Count"/> when none.</summary>
    public int FindOrdinal(long segmentPosition)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        int lo = 0, hi = _count;
        while (lo < hi)
        {
            var mid = (int)((uint)(lo + hi) >> 1);
            if (SegmentPositionAt(mid) < segmentPosition)
                lo = mid + 1;
            else
                hi = mid;
        }
        return lo;
    }

    /// <summary>Ordinal of the first document at or after global position <paramref name="position"/>; <see cref="Count"/> when none.</summary>
    public int FindOrdinal(Position position)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        int lo = 0, hi = _count;
        while (lo < hi)
        {
            var mid = (int)((uint)(lo + hi) >> 1);
            if (GlobalPositionAt(mid) < position)
                lo = mid + 1;
            else
                hi = mid;
        }
        return lo;
    }

    /// <summary>Every document in segment (= commit) order.</summary>
    public SegmentDocuments ReadAll() => ReadFromOrdinal(0);

    /// <summary>Documents from the first at or after <paramref name="segmentPosition"/>, in order.</summary>
    public SegmentDocuments ReadFrom(long segmentPosition) => ReadFromOrdinal(FindOrdinal(segmentPosition));

    /// <summary>Documents from the first at or after global position <paramref name="position"/>, in order.</summary>
    public SegmentDocuments ReadFrom(Position position) => ReadFromOrdinal(FindOrdinal(position));

    /// <summary>Documents from <paramref name="ordinal"/> to the end.</summary>
    public SegmentDocuments ReadFromOrdinal(int ordinal)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentOutOfRangeException.ThrowIfNegative(ordinal);
        return ordinal >= _count ? default : new SegmentDocuments(this, -1, ordinal, _count - ordinal, backwards: false);
    }

    /// <summary>The stream's versions in this segment, if it has events here.</summary>
    public bool TryGetStream(string stream, out long firstVersion, out long lastVersion)
    {
        var key = FindKey(SegmentLayout.StreamKind, stream);
        if (key < 0)
        {
            firstVersion = lastVersion = -1;
            return false;
        }
        var entry = ReadKey(key);
        firstVersion = entry.Extra;
        lastVersion = entry.Extra + entry.PostingsCount - 1;
        return true;
    }

    /// <summary>
    /// The stream's events from <paramref name="fromVersion"/> (inclusive): forwards up to its last event in this
    /// segment, or backwards down to its first. Empty when the stream has no event here in that direction.
    /// </summary>
    public SegmentDocuments ReadStream(string stream, long fromVersion, Direction direction = Direction.Forwards)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(fromVersion);
        var key = FindKey(SegmentLayout.StreamKind, stream);
        if (key < 0)
            return default;
        var entry = ReadKey(key);
        var first = entry.Extra;
        var n = entry.PostingsCount;
        var at = _layout.PostingsAt + (entry.PostingsStart * SegmentLayout.PostingSize);
        if (direction == Direction.Forwards)
        {
            if (fromVersion - first >= n)
                return default;
            var i = (int)Math.Max(0, fromVersion - first);
            return new SegmentDocuments(this, at, i, n - i, backwards: false);
        }
        if (fromVersion < first)
            return default;
        var j = (int)Math.Min(n - 1, fromVersion - first);
        return new SegmentDocuments(this, at, j, j + 1, backwards: true);
    }

    /// <summary>The events that mention <paramref name="entity"/>, in segment order.</summary>
    public SegmentDocuments ReadEntity(string entity)
    {
        var key = FindKey(SegmentLayout.EntityKind, entity);
        if (key < 0)
            return default;
        var entry = ReadKey(key);
        return new SegmentDocuments(this, _layout.PostingsAt + (entry.PostingsStart * SegmentLayout.PostingSize), 0, entry.PostingsCount, backwards: false);
    }

    /// <summary>Every stream with events in the segment, in UTF-8 byte order of their names.</summary>
    public IReadOnlyList<SegmentStreamInfo> GetStreams()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var result = new List<SegmentStreamInfo>((int)_layout.StreamKeys);
        for (long k = 0; k < _layout.StreamKeys; k++)
        {
            var entry = ReadKey(k);
            result.Add(new SegmentStreamInfo(NameOf(entry), entry.Extra, entry.Extra + entry.PostingsCount - 1, entry.PostingsCount));
        }
        return result;
    }

    /// <summary>Every entity mentioned in the segment, in UTF-8 byte order of their names.</summary>
    public IReadOnlyList<SegmentEntityInfo> GetEntities()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var result = new List<SegmentEntityInfo>(EntityCount);
        for (var k = _layout.StreamKeys; k < _layout.KeyCount; k++)
        {
            var entry = ReadKey(k);
            result.Add(new SegmentEntityInfo(NameOf(entry), entry.PostingsCount, entry.PairsCount));
        }
        return result;
    }

    /// <summary>The entities mentioned together with <paramref name="entity"/>, each with the number of events that
    /// mention both, in name order. Empty when the entity is not in the segment.</summary>
    public IReadOnlyList<EntityCoOccurrence> GetRelatedEntities(string entity)
    {
        var key = FindKey(SegmentLayout.EntityKind, entity);
        if (key < 0)
            return [];
        var entry = ReadKey(key);
        var result = new List<EntityCoOccurrence>(entry.PairsCount);
        for (var i = 0; i < entry.PairsCount; i++)
        {
            var (_, other, count) = ReadPair(entry.Extra + i);
            result.Add(new EntityCoOccurrence(entity, NameOf(ReadKey(other)), count));
        }
        return result;
    }

    /// <summary>Every co-occurring pair of entities once (<see cref="EntityCoOccurrence.Entity"/> sorts first),
    /// with its count: this segment's contribution to the entity graph.</summary>
    public IReadOnlyList<EntityCoOccurrence> GetCoOccurrences()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var result = new List<EntityCoOccurrence>((int)(_layout.PairCount / 2));
        var names = new string?[_layout.KeyCount - _layout.StreamKeys];
        for (long i = 0; i < _layout.PairCount; i++)
        {
            var (a, b, count) = ReadPair(i);
            if (a < b)
                result.Add(new EntityCoOccurrence(CachedName(names, a), CachedName(names, b), count));
        }
        return result;
    }

    /// <summary>
    /// Keeps the mapping alive until <see cref="ReleaseLease"/>, even if the set is disposed meanwhile; false
    /// when the set was already disposed.
    /// </summary>
    internal bool TryAcquireLease()
    {
        while (true)
        {
            var references = Volatile.Read(ref _references);
            if (references == 0 || Volatile.Read(ref _disposeRequested) != 0) return false;
            if (Interlocked.CompareExchange(ref _references, references + 1, references) == references) return true;
        }
    }

    internal void ReleaseLease()
    {
        if (Interlocked.Decrement(ref _references) == 0) Unmap();
    }

    /// <summary>Lets the maps go now, or when the last lease ends.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposeRequested, 1) == 0) ReleaseLease();
    }

    private void Unmap()
    {
        _disposed = true;
        Vectors?.Dispose();
        _entities.Dispose();
        _index.Dispose();
        _documents.Dispose();
    }

    internal int PostingAt(long listAt, int i)
    {
        var ordinal = BinaryPrimitives.ReadInt32LittleEndian(_entities.Span(listAt + ((long)i * SegmentLayout.PostingSize), SegmentLayout.PostingSize));
        if ((uint)ordinal >= (uint)_count)
            Corrupt(_entities.Path, $"a posting names document {ordinal}, but there are {_count}");
        return ordinal;
    }

    private long SegmentPositionAt(int ordinal) =>
        BinaryPrimitives.ReadInt64LittleEndian(_index.Span(FileHeader.Size + ((long)ordinal * SegmentLayout.IndexEntrySize), 8));

    private Position GlobalPositionAt(int ordinal)
    {
        var entry = _index.Span(FileHeader.Size + ((long)ordinal * SegmentLayout.IndexEntrySize), 16);
        var position = BinaryPrimitives.ReadInt64LittleEndian(entry);
        return new Position(BinaryPrimitives.ReadInt64LittleEndian(entry[8..]), (int)(position % Position.IndexLimit));
    }

    /// <summary>Binary search of one kind's keys by UTF-8 name; -1 when absent.</summary>
    private long FindKey(byte kind, string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        ObjectDisposedException.ThrowIf(_disposed, this);
        var max = Encoding.UTF8.GetMaxByteCount(name.Length);
        byte[]? rented = null;
        var buffer = max <= 512 ? stackalloc byte[512] : (rented = ArrayPool<byte>.Shared.Rent(max));
        try
        {
            if (Utf8.FromUtf16(name, buffer, out _, out var written, replaceInvalidSequences: false) != OperationStatus.Done)
                return -1; // not valid Unicode, so never written
            var target = buffer[..written];
            long lo = kind == SegmentLayout.StreamKind ? 0 : _layout.StreamKeys;
            var hi = kind == SegmentLayout.StreamKind ? _layout.StreamKeys : _layout.KeyCount;
            while (lo < hi)
            {
                var mid = lo + ((hi - lo) >> 1);
                var c = NameBytes(ReadKey(mid)).SequenceCompareTo(target);
                if (c == 0)
                    return mid;
                if (c < 0)
                    lo = mid + 1;
                else
                    hi = mid;
            }
            return -1;
        }
        finally
        {
            if (rented is not null)
                ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private KeyEntry ReadKey(long key) => KeyEntry.Read(_entities.Span(FileHeader.Size + (key * SegmentLayout.KeyEntrySize), SegmentLayout.KeyEntrySize));

    private (long A, long B, long Count) ReadPair(long i)
    {
        var p = _entities.Span(_layout.PairsAt + (i * SegmentLayout.PairSize), SegmentLayout.PairSize);
        long a = BinaryPrimitives.ReadInt32LittleEndian(p);
        long b = BinaryPrimitives.ReadInt32LittleEndian(p[4..]);
        if (a < _layout.StreamKeys || a >= _layout.KeyCount || b < _layout.StreamKeys || b >= _layout.KeyCount)
            Corrupt(_entities.Path, $"co-occurrence pair {i} names a key that is not an entity");
        return (a, b, BinaryPrimitives.ReadInt64LittleEndian(p[8..]));
    }

    private ReadOnlySpan<byte> NameBytes(in KeyEntry entry) => _entities.Span(_layout.NamesAt + entry.NameOffset, entry.NameLength);

    private string NameOf(in KeyEntry entry) => Encoding.UTF8.GetString(NameBytes(entry));

    private string CachedName(string?[] names, long key) =>
        names[key - _layout.StreamKeys] ??= NameOf(ReadKey(key));

    private static void Corrupt(string path, string problem) => FileHeader.Corrupt(path, problem);

    /// <summary>entities.idx section offsets, derived from its header.</summary>
    private readonly record struct EntitiesLayout(long KeyCount, long StreamKeys, long PostingsAt, long PostingsCount, long PairsAt, long PairCount, long NamesAt, long NamesLength);

    /// <summary>One 40-byte key of entities.idx. Extra is the first version (streams) or the first pair (entities).</summary>
    private readonly record struct KeyEntry(byte Kind, int NameLength, long NameOffset, long PostingsStart, int PostingsCount, int PairsCount, long Extra, bool ReservedZero)
    {
        public static KeyEntry Read(ReadOnlySpan<byte> k) => new(
            k[0],
            BinaryPrimitives.ReadInt32LittleEndian(k[4..]),
            BinaryPrimitives.ReadInt64LittleEndian(k[8..]),
            BinaryPrimitives.ReadInt64LittleEndian(k[16..]),
            BinaryPrimitives.ReadInt32LittleEndian(k[24..]),
            BinaryPrimitives.ReadInt32LittleEndian(k[28..]),
            BinaryPrimitives.ReadInt64LittleEndian(k[32..]),
            k[1] == 0 && k[2] == 0 && k[3] == 0);
    }
}
