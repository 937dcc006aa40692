using System.Net;

namespace Fossil.Kv.Etcd.Transport;

/// <summary>
/// Request body of a bidirectional call: hands the HTTP/2 request stream to the caller and keeps it
/// open until <see cref="Complete"/> (half-close) or the call is aborted.
/// </summary>
internal sealed class GrpcDuplexContent : HttpContent
{
    private readonly TaskCompletionSource<Stream> _stream = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _complete = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public GrpcDuplexContent() => Headers.TryAddWithoutValidation("content-type", "application/grpc");

    public Task<Stream> RequestStream => _stream.Task;

    public void Complete() => _complete.TrySetResult();

    public void Abort(Exception reason)
    {
        _stream.TrySetException(reason);
        _complete.TrySetResult();
    }

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        _stream.TrySetResult(stream);
        await _complete.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    protected override bool TryComputeLength(out long length)
    {
        length = 0;
        return false;
    }
}
