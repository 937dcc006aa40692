using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Text;
using Fossil.Kv.Records;
using Fossil.Kv.Segments;
using Fossil.Kv.Vectors;
using Google.Protobuf;

namespace Fossil.Kv.SegmentFiles;

/// <summary>
/// Materializes a sealed segment into a <b>temporary</b> directory: feed it the segment's events in
/// segment order with <see cref="Append(ReadOnlySpan{byte}, long, long)"/>, call <see cref="Complete"/>, then
/// move the directory into place with <see cref="Publish"/>. Nothing is ever written outside the temporary
/// directory, and <c>meta.json</c> is written last, so a crash leaves at worst an incomplete temporary
/// directory that no reader accepts. Layout: docs/formats/segment-files.md.
/// </summary>
/// <remarks>Not thread-safe: one writer per segment, used from one thread at a time.</remarks>
public sealed partial class SegmentFileWriter : IDisposable
{
    private static readonly UTF8Encoding s_strictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly string _directory;
    private readonly SegmentFileOptions _options;
    private readonly ChecksummedFile _documents;
    private readonly HnswIndex _vectors;
    private readonly Dictionary<string, StreamBuild> _streams = new(StringComparer.Ordinal);
    private readonly Dictionary<string, EntityBuild> _entities = new(StringComparer.Ordinal);
    private readonly List<EntityBuild> _entitiesById = [];
    private readonly Dictionary<long, long> _pairs = [];
    private readonly List<int> _eventEntities = [];
    private readonly float[] _vectorBuffer;
    private IndexEntry[] _index = new IndexEntry[256];
    private int _count;
    private long _vectorCount;
    private bool _completed;
    private bool _disposed;

    /// <summary>Vectors of events appended so far that no index takes under the segment's metric; their events are kept, unindexed.</summary>
    public long UnindexedVectors { get; private set; }

    /// <summary>Starts a segment in <paramref name="temporaryDirectory"/>, which must not exist or be empty.</summary>
    public SegmentFileWriter(string temporaryDirectory, SegmentFileOptions options)
    {
        ArgumentException.ThrowIfNullOrEmpty(temporaryDirectory);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (Directory.Exists(temporaryDirectory) && Directory.EnumerateFileSystemEntries(temporaryDirectory).Any())
            throw new IOException($"The temporary segment directory '{temporaryDirectory}' is not empty.");
        Directory.CreateDirectory(temporaryDirectory);
        _directory = temporaryDirectory;
        _options = options;
        _vectorBuffer = new float[options.VectorDimension];
        _vectors = new HnswIndex(Math.Max(1, options.VectorDimension), options.VectorMetric, options.Hnsw);
        try
        {
            _documents = new ChecksummedFile(Path.Combine(temporaryDirectory, SegmentFileNames.Documents));
        }
        catch
        {
            _vectors.Dispose();
            throw;
        }
    }

    /// <summary>Events appended so far.</summary>
    public int Count => _count;

    /// <summary>The temporary directory being written.</summary>
    public string TemporaryDirectory => _directory;

    /// <summary>
    /// Adds the next event: the bytes of its protobuf <c>EventRecord</c> (stored as they are), its segment
    /// position (<c>base × 4096 + index</c>) and the revision that committed it. Events must come in segment
    /// order, which is commit order; each stream's versions must be contiguous.
    /// </summary>
    /// <exception cref="ArgumentException">The bytes are not an EventRecord, the event is out of order, or its vector does not fit the store.</exception>
    public void Append(ReadOnlySpan<byte> eventRecord, long segmentPosition, long commitRevision)
    {
        EventRecord record;
        try
        {
            record = EventRecord.Parser.ParseFrom(eventRecord);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new ArgumentException($"The event at segment position {segmentPosition} is not a valid EventRecord: {e.Message}", nameof(eventRecord), e);
        }
        AppendCore(record, eventRecord, segmentPosition, commitRevision);
    }

    /// <summary>Adds the next event from its parsed record (serialized as stored).</summary>
    internal void Append(EventRecord record, long segmentPosition, long commitRevision)
    {
        ArgumentNullException.ThrowIfNull(record);
        AppendCore(record, record.ToByteArray(), segmentPosition, commitRevision);
    }

    private void AppendCore(EventRecord record, ReadOnlySpan<byte> bytes, long segmentPosition, long commitRevision)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_completed)
            throw new InvalidOperationException("The segment files are already complete.");
        Validate(record, bytes, segmentPosition, commitRevision);

        var ordinal = _count;
        if (ordinal == int.MaxValue)
            throw new InvalidOperationException("A segment holds at most int.MaxValue events.");

        // Everything that can reject the event runs before anything is written.
        var (stream, newStream) = CheckStream(record, segmentPosition);
        foreach (var name in record.Entities)
        {
            if (!_entities.ContainsKey(name))
                _ = Encode(name);
        }
        if (record.Vector.Count > 0)
        {
            record.Vector.CopyTo(_vectorBuffer, 0);
            try
            {
                _vectors.Add(segmentPosition, _vectorBuffer);
                _vectorCount++;
            }
            catch (ArgumentException) when (VectorValidation.Problem(_vectorBuffer, _options.VectorMetric) is not null)
            {
                // Taken by an append under rules older than the index's (an all-but-zero vector under cosine), or
                // under another metric before vector.metric was fixed: the event is kept, only not searchable by
                // vector; failing here would stop the segment, and every later one, from ever materializing.
                UnindexedVectors++;
            }
            catch (ArgumentException e)
            {
                throw new ArgumentException($"The vector of the event at segment position {segmentPosition} cannot be indexed: {e.Message}", nameof(record), e);
            }
        }
        if (newStream)
            _streams.Add(record.Stream, stream);
        stream.Append(record.Version, ordinal);
        TrackEntities(record, ordinal);

        var offset = _documents.Length;
        Span<byte> header = stackalloc byte[SegmentLayout.RecordHeaderSize];
        BinaryPrimitives.WriteInt32LittleEndian(header, bytes.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(header[4..], 0);
        BinaryPrimitives.WriteInt64LittleEndian(header[8..], segmentPosition);
        BinaryPrimitives.WriteInt64LittleEndian(header[16..], commitRevision);
        _documents.Write(header);
        _documents.Write(bytes);
        _documents.Pad8();

        if (ordinal == _index.Length)
            Array.Resize(ref _index, _index.Length * 2);
        _index[ordinal] = new IndexEntry(segmentPosition, commitRevision, offset);
        _count = ordinal + 1;
    }

    private void Validate(EventRecord record, ReadOnlySpan<byte> bytes, long segmentPosition, long commitRevision)
    {
        if (bytes.Length > SegmentLayout.MaxRecordLength)
            Throw($"is {bytes.Length} bytes, over the {SegmentLayout.MaxRecordLength}-byte limit", segmentPosition);
        if (segmentPosition < 0)
            Throw("has a negative segment position", segmentPosition);
        if (commitRevision < 1)
            Throw($"has commit revision {commitRevision}; revisions start at 1", segmentPosition);
        var index = (int)(segmentPosition % Position.IndexLimit);
        if (record.Index != index)
            Throw($"has index {record.Index}, but its segment position says {index}", segmentPosition);
        if (_count > 0)
        {
            var last = _index[_count - 1];
            if (segmentPosition <= last.SegmentPosition)
                Throw($"comes after segment position {last.SegmentPosition}; events must be appended in segment order", segmentPosition);
            var lastIndex = (int)(last.SegmentPosition % Position.IndexLimit);
            if (commitRevision < last.Revision || (commitRevision == last.Revision && index <= lastIndex))
                Throw($"has global position ({commitRevision}, {index}) not after ({last.Revision}, {lastIndex}); segment order must be commit order", segmentPosition);
        }
        if (record.Stream.Length == 0)
            Throw("has no stream", segmentPosition);
        if (record.Version < 0)
            Throw($"has negative version {record.Version}", segmentPosition);
        if (record.Vector.Count > 0 && record.Vector.Count != _options.VectorDimension)
            Throw($"has a {record.Vector.Count}-component vector; the store's dimension is {_options.VectorDimension}", segmentPosition);
    }

    private (StreamBuild Stream, bool IsNew) CheckStream(EventRecord record, long segmentPosition)
    {
        if (_streams.TryGetValue(record.Stream, out var stream))
        {
            if (record.Version != stream.LastVersion + 1)
                Throw($"is version {record.Version} of stream '{record.Stream}', whose previous event in this segment is version {stream.LastVersion}", segmentPosition);
            return (stream, false);
        }
        return (new StreamBuild(Encode(record.Stream), record.Version), true);
    }

    private void TrackEntities(EventRecord record, int ordinal)
    {
        if (record.Entities.Count == 0)
            return;
        _eventEntities.Clear();
        foreach (var name in record.Entities)
        {
            if (!_entities.TryGetValue(name, out var entity))
            {
                entity = new EntityBuild(Encode(name), _entitiesById.Count);
                _entities.Add(name, entity);
                _entitiesById.Add(entity);
            }
            if (entity.LastOrdinal == ordinal)
                continue; // named twice by one event: one posting, one co-occurrence
            entity.Postings.Add(ordinal);
            _eventEntities.Add(entity.Id);
        }
        for (var i = 0; i < _eventEntities.Count; i++)
        {
            for (var j = i + 1; j < _eventEntities.Count; j++)
            {
                var a = Math.Min(_eventEntities[i], _eventEntities[j]);
                var b = Math.Max(_eventEntities[i], _eventEntities[j]);
                var key = ((long)a << 32) | (uint)b;
                _pairs[key] = _pairs.GetValueOrDefault(key) + 1;
            }
        }
    }

    private static byte[] Encode(string name)
    {
        try
        {
            return s_strictUtf8.GetBytes(name);
        }
        catch (EncoderFallbackException e)
        {
            throw new ArgumentException($"'{name}' is not valid Unicode.", nameof(name), e);
        }
    }

    [DoesNotReturn]
    private static void Throw(string problem, long segmentPosition) =>
        throw new ArgumentException($"The event at segment position {segmentPosition} {problem}.");

    /// <summary>
    /// Closes the files being written and leaves the temporary directory as it is: publish it after
    /// <see cref="Complete"/>, or delete it (no reader accepts an incomplete one).
    /// </summary>
    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        _documents.Dispose();
        _vectors.Dispose();
    }

    private readonly record struct IndexEntry(long SegmentPosition, long Revision, long Offset);

    private sealed class StreamBuild(byte[] name, long firstVersion)
    {
        public byte[] Name { get; } = name;

        public long FirstVersion { get; } = firstVersion;

        public long LastVersion { get; private set; } = firstVersion - 1;

        public List<int> Postings { get; } = [];

        public void Append(long version, int ordinal)
        {
            LastVersion = version;
            Postings.Add(ordinal);
        }
    }

    private sealed class EntityBuild(byte[] name, int id)
    {
        public byte[] Name { get; } = name;

        public int Id { get; } = id;

        public List<int> Postings { get; } = [];

        public int LastOrdinal => Postings.Count == 0 ? -1 : Postings[^1];

        /// <summary>Index in the key table, assigned when the keys are sorted.</summary>
        public int Key { get; set; }
    }
}
