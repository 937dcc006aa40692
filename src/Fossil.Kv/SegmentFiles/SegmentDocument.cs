using System.Collections;
using Fossil.Kv.Records;

namespace Fossil.Kv.SegmentFiles;

/// <summary>
/// One event of a sealed segment, read in place. <see cref="Record"/> points into the memory-mapped
/// <c>documents.dat</c>: no copy is made, and the memory is valid only while the <see cref="SegmentFileSet"/>
/// it came from is open. Parse it (or copy it) before disposing the set.
/// </summary>
public readonly record struct SegmentDocument(int Ordinal, long SegmentPosition, long CommitRevision, ReadOnlyMemory<byte> Record)
{
    /// <summary>Index of the event in its transaction (the low 12 bits' worth of the segment position).</summary>
    public int Index => (int)(SegmentPosition % Position.IndexLimit);

    /// <summary>The event's global position (commit revision, index).</summary>
    public Position Position => new(CommitRevision, Index);

    /// <summary>Parses <see cref="Record"/> (allocates the record).</summary>
    internal EventRecord Parse() => EventRecord.Parser.ParseFrom(Record.Span);
}

/// <summary>
/// A run of a segment's documents: a range of ordinals or a postings list, forwards or backwards. A struct
/// with a struct enumerator, so <c>foreach</c> allocates nothing; it reads the mapped files lazily.
/// </summary>
public readonly struct SegmentDocuments : IEnumerable<SegmentDocument>, IEquatable<SegmentDocuments>
{
    private readonly SegmentFileSet? _set;
    private readonly long _postingsAt;
    private readonly int _start;
    private readonly int _count;
    private readonly bool _backwards;

    // postingsAt: byte offset in entities.idx of the postings list, or -1 when start.. are plain ordinals.
    internal SegmentDocuments(SegmentFileSet set, long postingsAt, int start, int count, bool backwards)
    {
        _set = set;
        _postingsAt = postingsAt;
        _start = start;
        _count = count;
        _backwards = backwards;
    }

    /// <summary>A run of no documents.</summary>
    public static SegmentDocuments Empty => default;

    /// <summary>Number of documents in the run.</summary>
    public int Count => _count;

    /// <summary>An allocation-free enumerator over the run; each document is read from the mapped files as it is reached.</summary>
    public Enumerator GetEnumerator() => new(this);

    IEnumerator<SegmentDocument> IEnumerable<SegmentDocument>.GetEnumerator() => GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Whether both are the same run of the same open file set (not whether they hold equal documents).</summary>
    public bool Equals(SegmentDocuments other) =>
        ReferenceEquals(_set, other._set) && _postingsAt == other._postingsAt && _start == other._start && _count == other._count && _backwards == other._backwards;

    /// <summary>Whether <paramref name="obj"/> is a <see cref="SegmentDocuments"/> that is the same run (see <see cref="Equals(SegmentDocuments)"/>).</summary>
    public override bool Equals(object? obj) => obj is SegmentDocuments other && Equals(other);

    /// <summary>A hash consistent with <see cref="Equals(SegmentDocuments)"/>.</summary>
    public override int GetHashCode() => HashCode.Combine(_set, _postingsAt, _start, _count, _backwards);

    /// <summary>Whether both are the same run (see <see cref="Equals(SegmentDocuments)"/>).</summary>
    public static bool operator ==(SegmentDocuments left, SegmentDocuments right) => left.Equals(right);

    /// <summary>Whether the two are different runs (see <see cref="Equals(SegmentDocuments)"/>).</summary>
    public static bool operator !=(SegmentDocuments left, SegmentDocuments right) => !left.Equals(right);

    /// <summary>Enumerates a <see cref="SegmentDocuments"/> run; a mutable struct, so use it through <c>foreach</c> rather than copying it.</summary>
    public struct Enumerator : IEnumerator<SegmentDocument>
    {
        private readonly SegmentDocuments _run;
        private int _i;

        internal Enumerator(SegmentDocuments run)
        {
            _run = run;
            _i = -1;
            Current = default;
        }

        /// <summary>The document reached by the last <see cref="MoveNext"/>; <c>default</c> before the first.</summary>
        public SegmentDocument Current { get; private set; }

        readonly object IEnumerator.Current => Current;

        /// <summary>Reads the next document of the run; false when the run is done.</summary>
        public bool MoveNext()
        {
            if (_i + 1 >= _run._count)
                return false;
            _i++;
            var k = _run._backwards ? _run._start - _i : _run._start + _i;
            var set = _run._set!;
            Current = set.Get(_run._postingsAt < 0 ? k : set.PostingAt(_run._postingsAt, k));
            return true;
        }

        /// <summary>Goes back to before the first document.</summary>
        public void Reset()
        {
            _i = -1;
            Current = default;
        }

        /// <summary>Does nothing: the enumerator holds nothing to release.</summary>
        public readonly void Dispose()
        {
        }
    }
}

/// <summary>A stream's events in one segment: versions <paramref name="FirstVersion"/>..<paramref name="LastVersion"/>, contiguous.</summary>
public sealed record SegmentStreamInfo(string Stream, long FirstVersion, long LastVersion, int EventCount);

/// <summary>An entity mentioned in a segment: by how many events, and with how many other entities.</summary>
public sealed record SegmentEntityInfo(string Entity, int EventCount, int RelatedCount);

/// <summary>Two entities mentioned together by <paramref name="Count"/> events of one segment (an edge weight of the entity graph).</summary>
public readonly record struct EntityCoOccurrence(string Entity, string Other, long Count);
