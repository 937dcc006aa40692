using System.Buffers;
using Google.Protobuf;

namespace Fossil.Kv.Etcd.Transport;

/// <summary>
/// Reads gRPC frames from a response body into one pooled buffer and parses each message straight
/// from it. Not thread-safe: one reader per stream.
/// </summary>
internal sealed class GrpcStreamReader : IDisposable
{
    private const int InitialBufferSize = 4096;
    private readonly Stream _stream;
    private readonly int _maxMessageSize;
    private byte[] _buffer;
    private int _start;
    private int _end;

    public GrpcStreamReader(Stream stream, int maxMessageSize)
    {
        _stream = stream;
        _maxMessageSize = maxMessageSize;
        _buffer = ArrayPool<byte>.Shared.Rent(InitialBufferSize);
    }

    /// <summary>Returns the next message, or null at a clean end of stream (no partial frame).</summary>
    public async ValueTask<T?> ReadMessageAsync<T>(MessageParser<T> parser, CancellationToken cancellationToken)
        where T : class, IMessage<T>
    {
        while (true)
        {
            if (TryParse(parser, out var message)) return message;
            if (!await FillAsync(cancellationToken).ConfigureAwait(false))
            {
                if (_end == _start) return null;
                throw new EtcdProtocolException($"gRPC stream ended inside a frame ({_end - _start} bytes left over).");
            }
        }
    }

    private bool TryParse<T>(MessageParser<T> parser, out T? message)
        where T : class, IMessage<T>
    {
        message = null;
        var available = _buffer.AsSpan(_start, _end - _start);
        if (!GrpcFrame.TryReadHeader(available, _maxMessageSize, out var length)) return false;
        var total = GrpcFrame.HeaderSize + length;
        if (available.Length < total)
        {
            EnsureCapacity(total);
            return false;
        }

        message = Parse(parser, available.Slice(GrpcFrame.HeaderSize, length));
        _start += total;
        if (_start == _end) _start = _end = 0;
        return true;
    }

    internal static T Parse<T>(MessageParser<T> parser, ReadOnlySpan<byte> payload)
        where T : class, IMessage<T>
    {
        try
        {
            return parser.ParseFrom(payload);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new EtcdProtocolException($"Malformed {typeof(T).Name}: {e.Message}", GrpcStatusCode.Internal, e);
        }
    }

    private void EnsureCapacity(int frameLength)
    {
        if (_buffer.Length - _start >= frameLength) return;
        var live = _end - _start;
        if (_buffer.Length >= frameLength)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, live);
        }
        else
        {
            var bigger = ArrayPool<byte>.Shared.Rent(frameLength);
            Buffer.BlockCopy(_buffer, _start, bigger, 0, live);
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = bigger;
        }

        _start = 0;
        _end = live;
    }

    private async ValueTask<bool> FillAsync(CancellationToken cancellationToken)
    {
        if (_end == _buffer.Length)
        {
            // Buffer full without a complete header: compact (a header is 5 bytes, the buffer is larger).
            EnsureCapacity(_buffer.Length - _start + 1);
        }

        var read = await _stream.ReadAsync(_buffer.AsMemory(_end), cancellationToken).ConfigureAwait(false);
        if (read == 0) return false;
        _end += read;
        return true;
    }

    public void Dispose()
    {
        var buffer = _buffer;
        _buffer = [];
        _start = _end = 0;
        if (buffer.Length > 0) ArrayPool<byte>.Shared.Return(buffer);
    }
}
