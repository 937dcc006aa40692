using System.Buffers;
using System.Net;
using Google.Protobuf;

namespace Fossil.Kv.Etcd.Transport;

/// <summary>
/// One bidirectional gRPC call (Watch, LeaseKeepAlive). Writes are serialized by a lock; reads come
/// from one consumer. Disposing aborts the stream (RST_STREAM CANCEL).
/// </summary>
internal sealed class GrpcDuplexCall : IAsyncDisposable
{
    private readonly GrpcDuplexContent _content;
    private readonly HttpRequestMessage _request;
    private readonly CancellationTokenSource _abort = new();
    private readonly Task<HttpResponseMessage> _responseTask;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly int _maxSend;
    private readonly int _maxReceive;
    private HttpResponseMessage? _response;
    private GrpcStreamReader? _reader;
    private int _disposed;

    public GrpcDuplexCall(HttpMessageInvoker invoker, HttpRequestMessage request, GrpcDuplexContent content, EtcdEndpoint endpoint, int maxSend, int maxReceive)
    {
        _request = request;
        _content = content;
        Endpoint = endpoint;
        _maxSend = maxSend;
        _maxReceive = maxReceive;
        _responseTask = invoker.SendAsync(request, _abort.Token);
        // Observe a failed send so it never goes unobserved; readers see it through the response task.
        _ = _responseTask.ContinueWith(t => _content.Abort(t.Exception?.InnerException ?? new OperationCanceledException()),
            CancellationToken.None, TaskContinuationOptions.NotOnRanToCompletion | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    public EtcdEndpoint Endpoint { get; }

    public async ValueTask WriteAsync(IMessage message, CancellationToken cancellationToken)
    {
        var size = message.CalculateSize();
        if (size > _maxSend)
            throw new GrpcCallFailure(GrpcStatusCode.ResourceExhausted, $"client: message of {size} bytes exceeds the send limit", requestSent: false);
        var length = GrpcFrame.HeaderSize + size;
        var buffer = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            GrpcFrame.WriteHeader(buffer, size);
            message.WriteTo(buffer.AsSpan(GrpcFrame.HeaderSize, size));
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _abort.Token);
            await _writeLock.WaitAsync(linked.Token).ConfigureAwait(false);
            try
            {
                var stream = await _content.RequestStream.WaitAsync(linked.Token).ConfigureAwait(false);
                await stream.WriteAsync(buffer.AsMemory(0, length), linked.Token).ConfigureAwait(false);
                await stream.FlushAsync(linked.Token).ConfigureAwait(false);
            }
            finally
            {
                _writeLock.Release();
            }
        }
        catch (Exception e) when (e is not GrpcCallFailure)
        {
            throw GrpcTransport.TransportFailure(e, requestSent: true, cancellationToken, _abort.Token) is GrpcCallFailure f
                ? f
                : new GrpcCallFailure(GrpcStatusCode.Cancelled, "stream closed", requestSent: true, e);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Next message; null when the server ended the stream with OK. Failures throw <see cref="GrpcCallFailure"/>.</summary>
    public async ValueTask<T?> ReadAsync<T>(MessageParser<T> parser, CancellationToken cancellationToken)
        where T : class, IMessage<T>
    {
        try
        {
            if (_reader is null)
            {
                using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _abort.Token);
                var response = await _responseTask.WaitAsync(linked.Token).ConfigureAwait(false);
                _response = response;
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    throw GrpcStatusReader.FailureFromHttpStatus(response.StatusCode, Endpoint);
                }

                if (GrpcStatusReader.TryGetStatus(response.Headers, out var headerCode, out var headerMessage))
                    throw StatusFailure(headerCode, headerMessage);
                var body = await response.Content.ReadAsStreamAsync(linked.Token).ConfigureAwait(false);
                _reader = new GrpcStreamReader(body, _maxReceive);
            }

            var message = await _reader.ReadMessageAsync(parser, cancellationToken).ConfigureAwait(false);
            if (message is not null) return message;
            if (GrpcStatusReader.TryGetStatus(_response!.TrailingHeaders, out var code, out var grpcMessage))
            {
                if (code == GrpcStatusCode.OK) return null;
                throw StatusFailure(code, grpcMessage);
            }

            throw new GrpcCallFailure(GrpcStatusCode.Unavailable, "stream ended without grpc-status", requestSent: true);
        }
        catch (Exception e) when (e is not GrpcCallFailure and not EtcdProtocolException)
        {
            throw GrpcTransport.TransportFailure(e, requestSent: true, cancellationToken, _abort.Token) is GrpcCallFailure f
                ? f
                : e is OperationCanceledException && cancellationToken.IsCancellationRequested
                    ? e
                    : new GrpcCallFailure(GrpcStatusCode.Cancelled, "stream closed", requestSent: true, e);
        }
    }

    private static GrpcCallFailure StatusFailure(GrpcStatusCode code, string? message) =>
        new(code == GrpcStatusCode.OK ? GrpcStatusCode.Unavailable : code, code == GrpcStatusCode.OK ? "stream ended" : message,
            requestSent: true, fromServer: true);

    /// <summary>Half-closes the request side.</summary>
    public void CompleteWrites() => _content.Complete();

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        await _abort.CancelAsync().ConfigureAwait(false);
        _content.Complete();
        try
        {
            await _responseTask.ConfigureAwait(false);
        }
        catch (Exception)
        {
            // The call is being torn down; its failure was already reported to the reader.
        }

        // The reader's pooled buffer is left to the GC: a read may still be unwinding on another thread.
        _reader = null;
        _response?.Dispose();
        _request.Dispose();
        _abort.Dispose();
        _writeLock.Dispose();
    }
}
