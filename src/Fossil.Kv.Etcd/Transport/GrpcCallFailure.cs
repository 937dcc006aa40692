namespace Fossil.Kv.Etcd.Transport;

/// <summary>
/// A failed gRPC call as the transport saw it, before translation: the status (from trailers, a
/// trailers-only response, the HTTP status, or a transport error) and whether the request may have
/// reached the server. Only <see cref="EtcdErrorTranslator"/> turns it into a public exception.
/// </summary>
internal sealed class GrpcCallFailure : Exception
{
    public GrpcCallFailure(GrpcStatusCode statusCode, string? grpcMessage, bool requestSent, Exception? inner = null, bool fromServer = false)
        : base($"gRPC {statusCode}: {grpcMessage}", inner)
    {
        StatusCode = statusCode;
        GrpcMessage = grpcMessage;
        RequestSent = requestSent;
        FromServer = fromServer;
    }

    public GrpcCallFailure() : this(GrpcStatusCode.Unknown, null, true) { }

    public GrpcCallFailure(string message) : this(GrpcStatusCode.Unknown, message, true) { }

    public GrpcCallFailure(string message, Exception inner) : this(GrpcStatusCode.Unknown, message, true, inner) { }

    public GrpcStatusCode StatusCode { get; }

    /// <summary>The server's grpc-message (decoded), or a description of the client-side failure.</summary>
    public string? GrpcMessage { get; }

    /// <summary>False only when the request provably never left the client.</summary>
    public bool RequestSent { get; }

    /// <summary>The status came from the server (trailers or trailers-only headers), not from the transport.</summary>
    public bool FromServer { get; }

    /// <summary>The client's own deadline expired.</summary>
    public bool IsClientDeadline { get; init; }
}
