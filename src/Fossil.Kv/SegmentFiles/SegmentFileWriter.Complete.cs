using System.Buffers.Binary;
using Fossil.Kv.Segments;
using Fossil.Kv.Vectors;

namespace Fossil.Kv.SegmentFiles;

public sealed partial class SegmentFileWriter
{
    /// <summary>
    /// Writes the indexes, the vector index and finally <c>meta.json</c>, each flushed to disk. The directory
    /// is then complete but still temporary: <see cref="Publish"/> moves it into place.
    /// </summary>
    public SegmentFileMeta Complete()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_completed)
            throw new InvalidOperationException("The segment files are already complete.");
        _completed = true;

        var files = new Dictionary<string, SegmentFileEntry>(StringComparer.Ordinal)
        {
            [SegmentFileNames.Documents] = _documents.Finish(new FileHeader
            {
                Kind = SegmentFileKind.Documents,
                Count = _count,
                FileLength = _documents.Length,
                PayloadChecksum = _documents.Checksum,
            }),
            [SegmentFileNames.DocumentIndex] = WriteDocumentIndex(),
            [SegmentFileNames.Entities] = WriteEntities(),
        };
        _vectors.Save(_directory);
        files[SegmentFileNames.Vectors] = VectorFileEntry(Path.Combine(_directory, SegmentFileNames.Vectors));
        files[SegmentFileNames.VectorGraph] = VectorFileEntry(Path.Combine(_directory, SegmentFileNames.VectorGraph));

        long size = 0;
        foreach (var entry in files.Values)
            size += entry.SizeBytes;
        var empty = _count == 0;
        var meta = new SegmentFileMeta
        {
            FormatVersion = SegmentFileMeta.CurrentFormatVersion,
            SegmentId = _options.SegmentId,
            Partition = _options.Partition,
            TimeRange = _options.TimeRange,
            Status = SegmentStatus.Sealed,
            DocumentCount = _count,
            EntityCount = _entities.Count,
            StreamCount = _streams.Count,
            VectorCount = _vectorCount,
            VectorDimension = _options.VectorDimension,
            VectorMetric = _options.VectorMetric,
            HnswM = _options.Hnsw.M,
            HnswEfConstruction = _options.Hnsw.EfConstruction,
            SizeBytes = size,
            CreatedAt = _options.CreatedAt,
            SealedAt = _options.SealedAt,
            FirstRevision = empty ? null : _index[0].Revision,
            LastRevision = empty ? null : _index[_count - 1].Revision,
            FirstPosition = empty ? null : _index[0].SegmentPosition,
            LastPosition = empty ? null : _index[_count - 1].SegmentPosition,
            Files = files,
        };
        var bytes = meta.ToJsonBytes();
        using (var stream = new FileStream(Path.Combine(_directory, SegmentFileNames.Meta), FileMode.CreateNew, FileAccess.Write, FileShare.None))
        {
            stream.Write(bytes);
            stream.Flush(flushToDisk: true);
        }
        return SegmentFileMeta.Parse(bytes, SegmentFileNames.Meta);
    }

    private SegmentFileEntry WriteDocumentIndex()
    {
        using var file = new ChecksummedFile(Path.Combine(_directory, SegmentFileNames.DocumentIndex));
        var buffer = new byte[SegmentLayout.IndexEntrySize * 1024];
        var used = 0;
        for (var i = 0; i < _count; i++)
        {
            var entry = _index[i];
            var e = buffer.AsSpan(used, SegmentLayout.IndexEntrySize);
            BinaryPrimitives.WriteInt64LittleEndian(e, entry.SegmentPosition);
            BinaryPrimitives.WriteInt64LittleEndian(e[8..], entry.Revision);
            BinaryPrimitives.WriteInt64LittleEndian(e[16..], entry.Offset);
            used += SegmentLayout.IndexEntrySize;
            if (used == buffer.Length)
            {
                file.Write(buffer);
                used = 0;
            }
        }
        file.Write(buffer.AsSpan(0, used));
        return file.Finish(new FileHeader
        {
            Kind = SegmentFileKind.DocumentIndex,
            Count = _count,
            FileLength = file.Length,
            PayloadChecksum = file.Checksum,
        });
    }

    private SegmentFileEntry WriteEntities()
    {
        var streams = new List<StreamBuild>(_streams.Values);
        streams.Sort(static (a, b) => a.Name.AsSpan().SequenceCompareTo(b.Name));
        var entities = new List<EntityBuild>(_entitiesById);
        entities.Sort(static (a, b) => a.Name.AsSpan().SequenceCompareTo(b.Name));
        for (var i = 0; i < entities.Count; i++)
            entities[i].Key = streams.Count + i;

        // Directed pairs, both ways, sorted by (a, b): an entity's co-occurrences are one contiguous run.
        var pairs = new (int A, int B, long Count)[_pairs.Count * 2];
        var p = 0;
        foreach (var (pairKey, count) in _pairs)
        {
            var a = _entitiesById[(int)(pairKey >> 32)].Key;
            var b = _entitiesById[(int)(uint)pairKey].Key;
            pairs[p++] = (a, b, count);
            pairs[p++] = (b, a, count);
        }
        Array.Sort(pairs, static (x, y) => x.A != y.A ? x.A.CompareTo(y.A) : x.B.CompareTo(y.B));
        var pairStart = new int[entities.Count];
        var pairCount = new int[entities.Count];
        foreach (var pair in pairs)
            pairCount[pair.A - streams.Count]++;
        for (var e = 1; e < entities.Count; e++)
            pairStart[e] = pairStart[e - 1] + pairCount[e - 1]; // runs follow key order, an entity without pairs included

        var keyCount = streams.Count + entities.Count;
        using var file = new ChecksummedFile(Path.Combine(_directory, SegmentFileNames.Entities));
        Span<byte> key = stackalloc byte[SegmentLayout.KeyEntrySize];
        long postings = 0;
        long names = 0;
        for (var i = 0; i < keyCount; i++)
        {
            key.Clear();
            byte[] name;
            int count;
            if (i < streams.Count)
            {
                var s = streams[i];
                name = s.Name;
                count = s.Postings.Count;
                key[0] = SegmentLayout.StreamKind;
                BinaryPrimitives.WriteInt64LittleEndian(key[32..], s.FirstVersion);
            }
            else
            {
                var e = i - streams.Count;
                name = entities[e].Name;
                count = entities[e].Postings.Count;
                key[0] = SegmentLayout.EntityKind;
                BinaryPrimitives.WriteInt32LittleEndian(key[28..], pairCount[e]);
                BinaryPrimitives.WriteInt64LittleEndian(key[32..], pairStart[e]);
            }
            BinaryPrimitives.WriteInt32LittleEndian(key[4..], name.Length);
            BinaryPrimitives.WriteInt64LittleEndian(key[8..], names);
            BinaryPrimitives.WriteInt64LittleEndian(key[16..], postings);
            BinaryPrimitives.WriteInt32LittleEndian(key[24..], count);
            file.Write(key);
            names += name.Length;
            postings += count;
        }

        var buffer = new byte[64 * 1024];
        var used = 0;
        void Flush()
        {
            file.Write(buffer.AsSpan(0, used));
            used = 0;
        }
        void WritePostings(List<int> list)
        {
            foreach (var ordinal in list)
            {
                if (used + SegmentLayout.PostingSize > buffer.Length)
                    Flush();
                BinaryPrimitives.WriteInt32LittleEndian(buffer.AsSpan(used), ordinal);
                used += SegmentLayout.PostingSize;
            }
        }
        foreach (var s in streams)
            WritePostings(s.Postings);
        foreach (var e in entities)
            WritePostings(e.Postings);
        Flush();
        file.Pad8();
        foreach (var (a, b, count) in pairs)
        {
            if (used + SegmentLayout.PairSize > buffer.Length)
                Flush();
            var span = buffer.AsSpan(used, SegmentLayout.PairSize);
            BinaryPrimitives.WriteInt32LittleEndian(span, a);
            BinaryPrimitives.WriteInt32LittleEndian(span[4..], b);
            BinaryPrimitives.WriteInt64LittleEndian(span[8..], count);
            used += SegmentLayout.PairSize;
        }
        Flush();
        foreach (var s in streams)
            file.Write(s.Name);
        foreach (var e in entities)
            file.Write(e.Name);
        return file.Finish(new FileHeader
        {
            Kind = SegmentFileKind.Entities,
            Count = keyCount,
            FileLength = file.Length,
            A = streams.Count,
            B = postings,
            C = pairs.Length,
            PayloadChecksum = file.Checksum,
        });
    }

    /// <summary>The vector files' payload checksum sits at byte 120 of their 128-byte header (docs/vector-index-format.md).</summary>
    private static SegmentFileEntry VectorFileEntry(string path)
    {
        using var handle = File.OpenHandle(path);
        Span<byte> crc = stackalloc byte[4];
        if (RandomAccess.Read(handle, crc, VectorHeaderChecksumOffset) != 4)
            throw new IOException($"'{path}' is shorter than its header.");
        return new SegmentFileEntry(RandomAccess.GetLength(handle), SegmentFileMeta.Hex(BinaryPrimitives.ReadUInt32LittleEndian(crc)));
    }

    internal const int VectorHeaderChecksumOffset = 120;
}
