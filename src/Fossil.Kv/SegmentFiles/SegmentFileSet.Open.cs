using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using Fossil.Kv.Vectors;

namespace Fossil.Kv.SegmentFiles;

public sealed partial class SegmentFileSet
{
    private SegmentFileSet(string directory, SegmentFileMeta meta, MappedSegmentFile documents, MappedSegmentFile index, MappedSegmentFile entities, EntitiesLayout layout, IVectorIndex? vectors)
    {
        Directory = directory;
        Meta = meta;
        _documents = documents;
        _index = index;
        _entities = entities;
        _layout = layout;
        _count = (int)meta.DocumentCount;
        Vectors = vectors;
    }

    /// <summary>
    /// Opens the segment in <paramref name="directory"/>. Always validates meta.json (its checksum and fields),
    /// every file header, that the files belong together, and every bound a read relies on; with
    /// <paramref name="verify"/> also every file's checksum and the full structure of every index.
    /// </summary>
    /// <param name="directory">The segment directory (<c>&lt;segment.directory&gt;/&lt;sid&gt;</c>).</param>
    /// <param name="populate">Prefault the mapped pages now (the node's <c>segment.mmap_populate</c>); verification reads every page anyway.</param>
    /// <param name="verify">Verify checksums and structure (reads every byte once).</param>
    /// <exception cref="SegmentFilesCorruptException">A file is missing, truncated, damaged or does not belong with the others.</exception>
    /// <exception cref="DirectoryNotFoundException">The directory does not exist.</exception>
    public static SegmentFileSet Open(string directory, bool populate, bool verify = true)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("Segment files are laid out little-endian and need a little-endian CPU.");
        if (!System.IO.Directory.Exists(directory))
            throw new DirectoryNotFoundException($"The segment directory '{directory}' does not exist.");

        var meta = ReadMeta(directory);
        MappedSegmentFile? documents = null, index = null, entities = null;
        MappedHnswIndex? vectors = null;
        try
        {
            documents = MapAndCheck(directory, SegmentFileKind.Documents, meta, verify, out var documentsHeader);
            index = MapAndCheck(directory, SegmentFileKind.DocumentIndex, meta, verify, out var indexHeader);
            entities = MapAndCheck(directory, SegmentFileKind.Entities, meta, verify, out var entitiesHeader);

            if (documentsHeader.Count != meta.DocumentCount)
                Corrupt(documents.Path, $"it holds {documentsHeader.Count} records but meta.json says {meta.DocumentCount}");
            if (indexHeader.Count != meta.DocumentCount || indexHeader.FileLength != FileHeader.Size + (indexHeader.Count * SegmentLayout.IndexEntrySize))
                Corrupt(index.Path, $"it holds {indexHeader.Count} entries in {indexHeader.FileLength} bytes but meta.json says {meta.DocumentCount} documents");
            CheckRange(index, meta);
            if (verify)
                VerifyDocuments(documents, index, (int)meta.DocumentCount);

            var layout = EntitiesLayoutOf(entities, entitiesHeader, meta);
            vectors = OpenVectors(directory, meta, populate, verify);
            var set = new SegmentFileSet(directory, meta, documents, index, entities, layout, vectors);
            set.ValidateKeys(verify);
            if (populate && !verify)
            {
                documents.Populate();
                index.Populate();
                entities.Populate();
            }
            documents = index = entities = null;
            vectors = null;
            return set;
        }
        finally
        {
            vectors?.Dispose();
            entities?.Dispose();
            index?.Dispose();
            documents?.Dispose();
        }
    }

    /// <summary>Opens the segment, or reports why it cannot be trusted (missing directory included) instead of throwing.</summary>
    public static bool TryOpen(string directory, bool populate, [NotNullWhen(true)] out SegmentFileSet? set, [NotNullWhen(false)] out SegmentFilesCorruptException? problem, bool verify = true)
    {
        try
        {
            set = Open(directory, populate, verify);
            problem = null;
            return true;
        }
        catch (SegmentFilesCorruptException e)
        {
            problem = e;
        }
        catch (DirectoryNotFoundException e)
        {
            problem = new SegmentFilesCorruptException(directory, "the directory does not exist", e);
        }
        set = null;
        return false;
    }

    /// <summary>Fully verifies the segment in <paramref name="directory"/> (for <c>fossil segments verify</c>).</summary>
    /// <returns>True when every file is intact; otherwise <paramref name="problem"/> names the file and what is wrong.</returns>
    public static bool TryVerify(string directory, [NotNullWhen(false)] out SegmentFilesCorruptException? problem)
    {
        if (!TryOpen(directory, populate: false, out var set, out problem, verify: true))
            return false;
        set.Dispose();
        return true;
    }

    private static SegmentFileMeta ReadMeta(string directory)
    {
        var path = Path.Combine(directory, SegmentFileNames.Meta);
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (FileNotFoundException e)
        {
            throw new SegmentFilesCorruptException(path, "the file is missing (the segment was never completed)", e);
        }
        return SegmentFileMeta.Parse(bytes, path);
    }

    private static MappedSegmentFile MapAndCheck(string directory, SegmentFileKind kind, SegmentFileMeta meta, bool verify, out FileHeader header)
    {
        var name = FileHeader.FileNameOf(kind);
        var file = MappedSegmentFile.Open(Path.Combine(directory, name), FileHeader.Size);
        try
        {
            header = FileHeader.Decode(file.Span(0, FileHeader.Size), file.Length, kind, file.Path);
            var expected = meta.Files[name];
            if (expected.SizeBytes != file.Length || meta.ChecksumOf(name) != header.PayloadChecksum)
                Corrupt(file.Path, "its size or checksum differs from meta.json (a file from another segment or write)");
            if (verify)
            {
                var crc = PayloadChecksum(file);
                if (crc != header.PayloadChecksum)
                    Corrupt(file.Path, $"payload checksum mismatch (stored 0x{header.PayloadChecksum:x8}, computed 0x{crc:x8})");
            }
            return file;
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    private static uint PayloadChecksum(MappedSegmentFile file)
    {
        uint crc = 0;
        const int chunk = 1 << 28;
        for (long at = FileHeader.Size; at < file.Length; at += chunk)
            crc = Crc32C.Append(crc, file.Span(at, (int)Math.Min(chunk, file.Length - at)));
        return crc;
    }

    /// <summary>meta.json's first/last revision and position agree with documents.idx.</summary>
    private static void CheckRange(MappedSegmentFile index, SegmentFileMeta meta)
    {
        if (meta.DocumentCount == 0)
            return;
        var first = index.Span(FileHeader.Size, 16);
        var last = index.Span(FileHeader.Size + ((meta.DocumentCount - 1) * SegmentLayout.IndexEntrySize), 16);
        if (BinaryPrimitives.ReadInt64LittleEndian(first) != meta.FirstPosition || BinaryPrimitives.ReadInt64LittleEndian(first[8..]) != meta.FirstRevision
            || BinaryPrimitives.ReadInt64LittleEndian(last) != meta.LastPosition || BinaryPrimitives.ReadInt64LittleEndian(last[8..]) != meta.LastRevision)
            Corrupt(index.Path, "its first or last entry disagrees with meta.json");
    }

    /// <summary>Walks documents.dat record by record against documents.idx: offsets, positions, order, lengths.</summary>
    private static void VerifyDocuments(MappedSegmentFile documents, MappedSegmentFile index, int count)
    {
        long offset = FileHeader.Size;
        long lastPosition = -1, lastRevision = 0;
        var lastIndex = 0;
        for (var i = 0; i < count; i++)
        {
            var entry = index.Span(FileHeader.Size + ((long)i * SegmentLayout.IndexEntrySize), SegmentLayout.IndexEntrySize);
            var position = BinaryPrimitives.ReadInt64LittleEndian(entry);
            var revision = BinaryPrimitives.ReadInt64LittleEndian(entry[8..]);
            var at = BinaryPrimitives.ReadInt64LittleEndian(entry[16..]);
            var eventIndex = (int)(position % Position.IndexLimit);
            if (position <= lastPosition || revision < 1 || revision < lastRevision || (revision == lastRevision && eventIndex <= lastIndex))
                Corrupt(index.Path, $"entry {i} (position {position}, revision {revision}) is out of order");
            if (at != offset || offset > documents.Length - SegmentLayout.RecordHeaderSize)
                Corrupt(index.Path, $"entry {i} points at offset {at}, but record {i} is at {offset}");
            var header = documents.Span(offset, SegmentLayout.RecordHeaderSize);
            var length = BinaryPrimitives.ReadInt32LittleEndian(header);
            if (length < 0 || length > SegmentLayout.MaxRecordLength || SegmentLayout.RecordSpan(length) > documents.Length - offset)
                Corrupt(documents.Path, $"record {i} at offset {offset} has length {length}, past the end of the file");
            if (BinaryPrimitives.ReadUInt32LittleEndian(header[4..]) != 0
                || BinaryPrimitives.ReadInt64LittleEndian(header[8..]) != position || BinaryPrimitives.ReadInt64LittleEndian(header[16..]) != revision)
                Corrupt(documents.Path, $"record {i} at offset {offset} does not match its documents.idx entry");
            offset += SegmentLayout.RecordSpan(length);
            lastPosition = position;
            lastRevision = revision;
            lastIndex = eventIndex;
        }
        if (offset != documents.Length)
            Corrupt(documents.Path, $"the records end at {offset} but the file is {documents.Length} bytes");
    }

    private static EntitiesLayout EntitiesLayoutOf(MappedSegmentFile entities, FileHeader header, SegmentFileMeta meta)
    {
        var keys = header.Count;
        var streams = header.A;
        var postings = header.B;
        var pairs = header.C;
        var length = entities.Length;
        if (streams > keys || streams != meta.StreamCount || keys - streams != meta.EntityCount)
            Corrupt(entities.Path, $"it holds {streams} streams and {keys - streams} entities but meta.json says {meta.StreamCount} and {meta.EntityCount}");
        // Each section must fit what is left of the file before the next is computed, so nothing overflows.
        var room = length - FileHeader.Size;
        if (keys > room / SegmentLayout.KeyEntrySize)
            Corrupt(entities.Path, $"{keys} keys do not fit in {length} bytes");
        var postingsAt = FileHeader.Size + (keys * SegmentLayout.KeyEntrySize);
        if (postings > (length - postingsAt) / SegmentLayout.PostingSize)
            Corrupt(entities.Path, $"{postings} postings do not fit in {length} bytes");
        var pairsAt = SegmentLayout.Align8(postingsAt + (postings * SegmentLayout.PostingSize));
        if (pairsAt > length || pairs > (length - pairsAt) / SegmentLayout.PairSize || pairs % 2 != 0)
            Corrupt(entities.Path, $"{pairs} co-occurrence pairs do not fit in {length} bytes");
        var namesAt = pairsAt + (pairs * SegmentLayout.PairSize);
        return new EntitiesLayout(keys, streams, postingsAt, postings, pairsAt, pairs, namesAt, length - namesAt);
    }

    /// <summary>
    /// Always: every key's kind and ranges (names, postings, pairs) lie inside their sections, since reads trust them.
    /// With <paramref name="deep"/>: keys strictly sorted, sections exactly tiled, postings ascending and in range,
    /// each stream's events one per document, pairs symmetric-shaped and naming entities.
    /// </summary>
    private void ValidateKeys(bool deep)
    {
        var path = _entities.Path;
        long names = 0, postings = 0, pairs = 0, streamPostings = 0;
        for (long k = 0; k < _layout.KeyCount; k++)
        {
            var key = ReadKey(k);
            var isStream = k < _layout.StreamKeys;
            if (key.Kind != (isStream ? SegmentLayout.StreamKind : SegmentLayout.EntityKind) || !key.ReservedZero)
                Corrupt(path, $"key {k} has kind {key.Kind}");
            if (key.NameLength < 0 || key.NameOffset < 0 || key.NameOffset > _layout.NamesLength - key.NameLength)
                Corrupt(path, $"key {k}'s name lies outside the names section");
            if (key.PostingsCount < 1 || key.PostingsStart < 0 || key.PostingsStart > _layout.PostingsCount - key.PostingsCount)
                Corrupt(path, $"key {k}'s postings lie outside the postings section");
            if (isStream)
            {
                if (key.PairsCount != 0 || key.Extra < 0 || key.Extra > long.MaxValue - key.PostingsCount)
                    Corrupt(path, $"stream key {k} has first version {key.Extra} or pairs");
            }
            else if (key.PairsCount < 0 || key.Extra < 0 || key.Extra > _layout.PairCount - key.PairsCount)
            {
                Corrupt(path, $"entity key {k}'s pairs lie outside the pairs section");
            }
            if (!deep)
                continue;

            if (key.NameOffset != names || key.PostingsStart != postings || (!isStream && key.Extra != pairs))
                Corrupt(path, $"key {k}'s sections do not follow the previous key's");
            if (k > 0 && k != _layout.StreamKeys && NameBytes(ReadKey(k - 1)).SequenceCompareTo(NameBytes(key)) >= 0)
                Corrupt(path, $"key {k} is not in order");
            var listAt = _layout.PostingsAt + (key.PostingsStart * SegmentLayout.PostingSize);
            var previous = -1;
            for (var i = 0; i < key.PostingsCount; i++)
            {
                var ordinal = PostingAt(listAt, i);
                if (ordinal <= previous)
                    Corrupt(path, $"key {k}'s postings are not ascending");
                previous = ordinal;
            }
            if (!isStream)
            {
                long previousOther = -1;
                for (var i = 0; i < key.PairsCount; i++)
                {
                    var (a, b, count) = ReadPair(key.Extra + i);
                    if (a != k || b == k || b <= previousOther || count < 1 || count > key.PostingsCount)
                        Corrupt(path, $"co-occurrence pair {key.Extra + i} of key {k} is not valid");
                    previousOther = b;
                }
            }
            else
            {
                streamPostings += key.PostingsCount;
            }
            names += key.NameLength;
            postings += key.PostingsCount;
            pairs += key.PairsCount;
        }
        if (deep && (names != _layout.NamesLength || postings != _layout.PostingsCount || pairs != _layout.PairCount || streamPostings != _count))
            Corrupt(path, "the sections are not exactly covered by the keys");
        if (deep)
            VerifyPadding(path);
    }

    private void VerifyPadding(string path)
    {
        var end = _layout.PostingsAt + (_layout.PostingsCount * SegmentLayout.PostingSize);
        foreach (var b in _entities.Span(end, (int)(_layout.PairsAt - end)))
        {
            if (b != 0)
                Corrupt(path, "padding is not zero");
        }
    }

    private static MappedHnswIndex? OpenVectors(string directory, SegmentFileMeta meta, bool populate, bool verify)
    {
        foreach (var name in (ReadOnlySpan<string>)[SegmentFileNames.Vectors, SegmentFileNames.VectorGraph])
            CheckVectorFile(Path.Combine(directory, name), meta.Files[name]);
        MappedHnswIndex index;
        try
        {
            index = MappedHnswIndex.Open(directory, populate, verify);
        }
        catch (VectorIndexCorruptException e)
        {
            throw new SegmentFilesCorruptException(e.FilePath, e.Problem, e);
        }
        catch (FileNotFoundException e)
        {
            throw new SegmentFilesCorruptException(e.FileName ?? directory, "the file is missing", e);
        }
        try
        {
            if (index.Count != meta.VectorCount || index.Dimension != Math.Max(1, meta.VectorDimension) || index.Metric != meta.VectorMetric
                || index.M != meta.HnswM || index.EfConstruction != meta.HnswEfConstruction)
                Corrupt(Path.Combine(directory, SegmentFileNames.Vectors), "the vector index does not match meta.json (count, dimension, metric or parameters)");
        }
        catch
        {
            index.Dispose();
            throw;
        }
        if (index.Count > 0)
            return index;
        index.Dispose();
        return null;
    }

    /// <summary>Size and header payload checksum (byte 120, see docs/vector-index-format.md) against meta.json.</summary>
    private static void CheckVectorFile(string path, SegmentFileEntry expected)
    {
        try
        {
            using var handle = File.OpenHandle(path);
            var length = RandomAccess.GetLength(handle);
            Span<byte> crc = stackalloc byte[4];
            if (length != expected.SizeBytes || RandomAccess.Read(handle, crc, SegmentFileWriter.VectorHeaderChecksumOffset) != 4
                || SegmentFileMeta.Hex(BinaryPrimitives.ReadUInt32LittleEndian(crc)) != expected.Crc32C)
                Corrupt(path, "its size or checksum differs from meta.json (a file from another segment or write)");
        }
        catch (FileNotFoundException e)
        {
            throw new SegmentFilesCorruptException(path, "the file is missing", e);
        }
    }
}
