using Fossil.Kv.Vectors;

namespace Fossil.Kv.SegmentFiles;

/// <summary>The files of a materialized segment directory (layout: docs/formats/segment-files.md).</summary>
public static class SegmentFileNames
{
    public const string Meta = "meta.json";
    public const string Documents = "documents.dat";
    public const string DocumentIndex = "documents.idx";
    public const string Entities = "entities.idx";
    public const string Vectors = HnswIndex.VectorsFileName;
    public const string VectorGraph = HnswIndex.GraphFileName;

    /// <summary>Every file but <c>meta.json</c>, in the order they are written (meta.json comes last).</summary>
    public static IReadOnlyList<string> DataFiles { get; } = [Documents, DocumentIndex, Entities, Vectors, VectorGraph];
}
