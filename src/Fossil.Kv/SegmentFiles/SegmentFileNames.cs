using Fossil.Kv.Vectors;

namespace Fossil.Kv.SegmentFiles;

/// <summary>The files of a materialized segment directory (layout: docs/formats/segment-files.md).</summary>
public static class SegmentFileNames
{
    /// <summary>The segment's metadata and the checksums of the other files; written last, so its presence means the directory is complete.</summary>
    public const string Meta = "meta.json";

    /// <summary>Every event record, in segment order.</summary>
    public const string Documents = "documents.dat";

    /// <summary>Maps a segment position to its record's offset in <see cref="Documents"/>.</summary>
    public const string DocumentIndex = "documents.idx";

    /// <summary>The segment's streams and entities, each with the events that have it (postings), and entity co-occurrence counts.</summary>
    public const string Entities = "entities.idx";

    /// <summary>The vectors of the segment's HNSW index.</summary>
    public const string Vectors = HnswIndex.VectorsFileName;

    /// <summary>The links of the segment's HNSW index.</summary>
    public const string VectorGraph = HnswIndex.GraphFileName;

    /// <summary>Every file but <c>meta.json</c>, in the order they are written (meta.json comes last).</summary>
    public static IReadOnlyList<string> DataFiles { get; } = [Documents, DocumentIndex, Entities, Vectors, VectorGraph];
}
