using Fossil.Kv.Reads;
using Fossil.Kv.SegmentFiles;
using Fossil.Kv.Segments;

namespace Fossil.Kv;

/// <summary>
/// A sealed segment's events read in place from this node's memory-mapped files, for bulk reads (exports,
/// analytics, rebuilding projections) that want the speed of the files rather than one <see cref="RecordedEvent"/>
/// per event. Opened by <see cref="EventStore.OpenSealedSegmentAsync"/>; it holds the files open until disposed,
/// even if the segment is evicted meanwhile. Documents come in segment (= commit) order; read each in place
/// with <see cref="EventRecordView.Read"/>, or copy it out with <see cref="Decode"/>.
/// Any number of threads may read at once, but <see cref="Dispose"/> must not run while they do: documents
/// and views point straight into the mapping, and touching them after disposal is undefined (it can end
/// the process), exactly as with memory from a disposed <see cref="System.Buffers.MemoryManager{T}"/>.
/// </summary>
public sealed class SealedSegmentReader : IDisposable
{
    // Decoders are not thread-safe and carry a table of interned names worth keeping between calls.
    [ThreadStatic]
    private static RecordDecoder? t_decoder;

    private readonly SegmentFileSet _files;
    private readonly string _segment;
    private int _disposed;

    internal SealedSegmentReader(SegmentId segment, SegmentFileSet leased)
    {
        _segment = segment.ToString();
        _files = leased;
    }

    /// <summary>The id of the segment being read, e.g. <c>20261122T000000Z-p03-g000</c>.</summary>
    public string SegmentId => _segment;

    /// <summary>Number of events in the segment.</summary>
    public int Count => _files.Count;

    /// <summary>Every document, in segment order; the enumeration allocates nothing.</summary>
    public SegmentDocuments ReadAll()
    {
        ThrowIfDisposed();
        return _files.ReadAll();
    }

    /// <summary>Documents from the first at or after <paramref name="segmentPosition"/>, in segment order.</summary>
    public SegmentDocuments ReadFrom(long segmentPosition)
    {
        ThrowIfDisposed();
        return _files.ReadFrom(segmentPosition);
    }

    /// <summary>The document's event as a <see cref="RecordedEvent"/> that owns copies of its data (kept after disposal).</summary>
    /// <exception cref="InvalidDataException">The record is not a well-formed event record.</exception>
    public RecordedEvent Decode(SegmentDocument document)
    {
        ThrowIfDisposed();
        return (t_decoder ??= new RecordDecoder()).Decode(document.Record.Span, _segment, document.SegmentPosition, document.CommitRevision);
    }

    /// <summary>Ends the lease on the files: memory read through this reader must not be used afterwards.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0) _files.ReleaseLease();
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
}
