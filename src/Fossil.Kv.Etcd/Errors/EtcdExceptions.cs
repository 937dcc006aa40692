using Google.Protobuf;

namespace Fossil.Kv.Etcd;

/// <summary>
/// Base of every failure the etcd client reports. Created only by <see cref="EtcdErrorTranslator"/>.
/// </summary>
/// <remarks>
/// <see cref="MayHaveBeenApplied"/> is the one property a writer must look at: when it is true the
/// write (<see cref="Request"/>) may or may not have been committed, and the caller has to resolve
/// it (read back) before sending it again.
/// </remarks>
public class EtcdException : Exception
{
    /// <summary>A failure with status <see cref="GrpcStatusCode.Unknown"/>, for an adapter that has nothing more specific (see <see cref="IEtcdClient"/>).</summary>
    public EtcdException(string message) : this(message, GrpcStatusCode.Unknown, null, null) { }

    /// <summary>A failure with status <see cref="GrpcStatusCode.Unknown"/>, caused by <paramref name="innerException"/>.</summary>
    public EtcdException(string message, Exception innerException)
        : this(message, GrpcStatusCode.Unknown, null, innerException) { }

    /// <summary>A failure with status <see cref="GrpcStatusCode.Unknown"/> and a generic message.</summary>
    public EtcdException() : this("etcd call failed.") { }

    /// <summary>A failure of a call that ended with <paramref name="statusCode"/>.</summary>
    /// <param name="message">What failed, for people.</param>
    /// <param name="statusCode">The call's gRPC status.</param>
    /// <param name="etcdMessage">The server's <c>grpc-message</c>; null when the failure is client-side.</param>
    /// <param name="innerException">The underlying failure, if any.</param>
    public EtcdException(string message, GrpcStatusCode statusCode, string? etcdMessage, Exception? innerException)
        : base(message, innerException)
    {
        StatusCode = statusCode;
        EtcdMessage = etcdMessage;
    }

    /// <summary>The gRPC status of the failed call (a transport failure maps to Unavailable or DeadlineExceeded).</summary>
    public GrpcStatusCode StatusCode { get; }

    /// <summary>The server's <c>grpc-message</c>, e.g. <c>etcdserver: request timed out</c>; null for client-side failures.</summary>
    public string? EtcdMessage { get; }

    /// <summary>The endpoint the failed attempt went to, when known.</summary>
    public string? Endpoint { get; internal set; }

    /// <summary>The gRPC method, e.g. <c>/etcdserverpb.KV/Txn</c>.</summary>
    public string? Method { get; internal set; }

    /// <summary>
    /// True when the request was a write that may have been committed although it failed (timeout
    /// after sending, connection lost mid-call, etcd's <c>request timed out</c> / <c>leader changed</c>,
    /// NOSPACE raised by the write that crossed the quota). False means it provably was not applied,
    /// or the call was a read.
    /// </summary>
    public bool MayHaveBeenApplied { get; internal set; }

    /// <summary>The request that was sent, set for writes whose outcome is unknown.</summary>
    public IMessage? Request { get; internal set; }

    /// <summary>Set by the translator: the retry policy may try this call again (see docs/etcd-client.md).</summary>
    internal bool Retryable { get; set; }

    /// <summary>The failure says the endpoint is unhealthy: the next attempt goes to another member.</summary>
    internal bool EndpointFailure { get; set; }
}

/// <summary><c>etcdserver: too many operations in txn request</c> (server <c>--max-txn-ops</c>, 128 by default). Split the Txn.</summary>
public sealed class EtcdTooManyOperationsException(string message, GrpcStatusCode statusCode, string? etcdMessage, Exception? inner = null)
    : EtcdException(message, statusCode, etcdMessage, inner);

/// <summary><c>etcdserver: request is too large</c> (server <c>--max-request-bytes</c>, 1.5 MiB by default), or over the client's send limit.</summary>
public sealed class EtcdRequestTooLargeException(string message, GrpcStatusCode statusCode, string? etcdMessage, Exception? inner = null)
    : EtcdException(message, statusCode, etcdMessage, inner);

/// <summary>The requested revision was compacted. <see cref="CompactRevision"/> is known for watches (0 for Range).</summary>
public sealed class EtcdCompactedException(string message, GrpcStatusCode statusCode, string? etcdMessage, long compactRevision, Exception? inner = null)
    : EtcdException(message, statusCode, etcdMessage, inner)
{
    /// <summary>The oldest revision still available (from the watch response), or 0 when etcd did not say.</summary>
    public long CompactRevision { get; } = compactRevision;
}

/// <summary>
/// <c>etcdserver: mvcc: database space exceeded</c>: the NOSPACE alarm is raised. For a write,
/// <see cref="EtcdException.MayHaveBeenApplied"/> is true: the write that crosses the quota is
/// applied and still answers with this error.
/// </summary>
public sealed class EtcdNoSpaceException(string message, GrpcStatusCode statusCode, string? etcdMessage, Exception? inner = null)
    : EtcdException(message, statusCode, etcdMessage, inner);

/// <summary><c>etcdserver: no leader</c> (and <c>raft proposal dropped</c>): the member has no leader; nothing was proposed.</summary>
public sealed class EtcdNoLeaderException(string message, GrpcStatusCode statusCode, string? etcdMessage, Exception? inner = null)
    : EtcdException(message, statusCode, etcdMessage, inner);

/// <summary>No member could be reached or a member answered Unavailable (for reads and for writes that were not sent).</summary>
public sealed class EtcdUnavailableException(string message, GrpcStatusCode statusCode, string? etcdMessage, Exception? inner = null)
    : EtcdException(message, statusCode, etcdMessage, inner);

/// <summary>
/// A write whose outcome is unknown: it was sent, and then the call timed out, the connection was
/// lost, or etcd answered <c>request timed out</c> / <c>leader changed</c>. It may commit later.
/// <see cref="EtcdException.Request"/> is what was sent; the caller must resolve it (read back).
/// The underlying failure is the <see cref="Exception.InnerException"/>.
/// </summary>
public sealed class EtcdUnknownOutcomeException(string message, GrpcStatusCode statusCode, string? etcdMessage, Exception? inner = null)
    : EtcdException(message, statusCode, etcdMessage, inner);

/// <summary><c>etcdserver: permission denied</c>: the user's roles do not cover the key range.</summary>
public sealed class EtcdPermissionDeniedException(string message, GrpcStatusCode statusCode, string? etcdMessage, Exception? inner = null)
    : EtcdException(message, statusCode, etcdMessage, inner);

/// <summary>Wrong user name or password, auth not enabled, or a token that stays invalid after re-authenticating.</summary>
public sealed class EtcdAuthenticationException(string message, GrpcStatusCode statusCode, string? etcdMessage, Exception? inner = null)
    : EtcdException(message, statusCode, etcdMessage, inner);

/// <summary><c>etcdserver: requested lease not found</c>: the lease expired or was revoked.</summary>
public sealed class EtcdLeaseNotFoundException(string message, GrpcStatusCode statusCode, string? etcdMessage, Exception? inner = null)
    : EtcdException(message, statusCode, etcdMessage, inner);

/// <summary>A request etcd rejects as malformed: duplicate key in a Txn, empty key, future revision, and so on.</summary>
public sealed class EtcdInvalidArgumentException(string message, GrpcStatusCode statusCode, string? etcdMessage, Exception? inner = null)
    : EtcdException(message, statusCode, etcdMessage, inner);

/// <summary>The bytes on the wire are not valid gRPC framing (or exceed the receive limit).</summary>
public sealed class EtcdProtocolException(string message, GrpcStatusCode statusCode = GrpcStatusCode.Internal, Exception? inner = null)
    : EtcdException(message, statusCode, null, inner);

/// <summary>
/// A watch's reader fell too far behind (<see cref="EtcdClientOptions.MaxWatchBufferBytes"/>): the watch ended
/// after delivering everything up to <see cref="NextRevision"/> (exclusive); watch again from there.
/// </summary>
public sealed class EtcdWatchOverflowException(string message, long nextRevision)
    : EtcdException(message, GrpcStatusCode.ResourceExhausted, null, null)
{
    /// <summary>The first revision the ended watch did not deliver.</summary>
    public long NextRevision { get; } = nextRevision;
}
