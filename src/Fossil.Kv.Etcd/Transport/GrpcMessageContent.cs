using System.Buffers;
using System.Net;
using Google.Protobuf;

namespace Fossil.Kv.Etcd.Transport;

/// <summary>
/// The body of a unary gRPC request: one frame, serialized once into a pooled buffer when the call
/// is made. <see cref="Started"/> records whether the handler ever began to send it, which is how
/// the client proves that a failed write never left this process.
/// </summary>
internal sealed class GrpcMessageContent : HttpContent
{
    private const int Idle = 0, Sending = 1, Disposed = 2;
    private byte[]? _buffer;
    private readonly int _length;
    private int _state;
    private volatile bool _started;

    public GrpcMessageContent(IMessage message, int maxMessageSize)
    {
        var size = message.CalculateSize();
        if (size > maxMessageSize)
        {
            throw new GrpcCallFailure(GrpcStatusCode.ResourceExhausted,
                $"client: request of {size} bytes exceeds the send limit of {maxMessageSize} bytes", requestSent: false);
        }

        _length = GrpcFrame.HeaderSize + size;
        _buffer = ArrayPool<byte>.Shared.Rent(_length);
        GrpcFrame.WriteHeader(_buffer, size);
        message.WriteTo(_buffer.AsSpan(GrpcFrame.HeaderSize, size));
        Headers.TryAddWithoutValidation("content-type", "application/grpc");
    }

    /// <summary>True once the HTTP handler asked for the body: the request may have reached the server.</summary>
    public bool Started => _started;

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        _started = true;
        ObjectDisposedException.ThrowIf(Interlocked.CompareExchange(ref _state, Sending, Idle) != Idle, this);
        try
        {
            await stream.WriteAsync(_buffer.AsMemory(0, _length), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            // If the request was disposed while we were writing, the buffer is ours to return.
            if (Interlocked.CompareExchange(ref _state, Idle, Sending) == Disposed) ReturnBuffer();
        }
    }

    protected override bool TryComputeLength(out long length)
    {
        // gRPC bodies go without content-length, like every gRPC client sends them.
        length = 0;
        return false;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && Interlocked.Exchange(ref _state, Disposed) == Idle) ReturnBuffer();
        base.Dispose(disposing);
    }

    private void ReturnBuffer()
    {
        var buffer = Interlocked.Exchange(ref _buffer, null);
        if (buffer is not null) ArrayPool<byte>.Shared.Return(buffer);
    }
}
