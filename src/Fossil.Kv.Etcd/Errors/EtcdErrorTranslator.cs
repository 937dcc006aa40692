using Fossil.Kv.Etcd.Transport;
using Google.Protobuf;

namespace Fossil.Kv.Etcd;

/// <summary>How a call may be retried; decided per gRPC method.</summary>
internal enum CallKind
{
    /// <summary>Reads, lease calls, status, member list: retried on transient failures.</summary>
    Idempotent,

    /// <summary>Put, Txn, DeleteRange, Compact: retried only when provably not applied.</summary>
    Write,
}

/// <summary>
/// The one place where gRPC statuses, etcd's error messages and transport failures become the typed
/// <see cref="EtcdException"/> family, with the retry and unknown-outcome decisions attached.
/// The table is in docs/etcd-client.md ("Error mapping"); keep both in sync.
/// </summary>
public static class EtcdErrorTranslator
{
    // etcd's messages (api/v3rpc/rpctypes/error.go), matched exactly or by prefix.
    internal const string TooManyOps = "etcdserver: too many operations in txn request";
    internal const string DuplicateKey = "etcdserver: duplicate key given in txn request";
    internal const string RequestTooLarge = "etcdserver: request is too large";
    internal const string Compacted = "etcdserver: mvcc: required revision has been compacted";
    internal const string NoSpace = "etcdserver: mvcc: database space exceeded";
    internal const string TooManyRequests = "etcdserver: too many requests";
    internal const string NoLeader = "etcdserver: no leader";
    internal const string LeaderChanged = "etcdserver: leader changed";
    internal const string TimedOut = "etcdserver: request timed out"; // and its ", possibly due to ..." variants
    internal const string ProposalDropped = "raft proposal dropped";
    internal const string LeaseNotFound = "etcdserver: requested lease not found";
    internal const string PermissionDenied = "etcdserver: permission denied";
    internal const string InvalidAuthToken = "etcdserver: invalid auth token";
    internal const string AuthFailed = "etcdserver: authentication failed, invalid user ID or password";
    internal const string AuthNotEnabled = "etcdserver: authentication is not enabled";
    internal const string NotCapable = "etcdserver: not capable";
    internal const string Stopped = "etcdserver: server stopped";

    /// <summary>
    /// Translates a gRPC status into the typed exception a caller of a read would see. Writes go
    /// through the internal overload, which adds the unknown-outcome decision.
    /// </summary>
    public static EtcdException FromStatus(GrpcStatusCode code, string? etcdMessage) =>
        Translate(new GrpcCallFailure(code, etcdMessage, requestSent: true, fromServer: true), CallKind.Idempotent, method: null, endpoint: null, request: null);

    internal static bool IsInvalidAuthToken(EtcdException e) =>
        e.StatusCode == GrpcStatusCode.Unauthenticated && e.EtcdMessage == InvalidAuthToken;

    internal static EtcdException Translate(GrpcCallFailure failure, CallKind kind, string? method, string? endpoint, IMessage? request)
    {
        var code = failure.StatusCode;
        var message = failure.GrpcMessage;
        var server = failure.FromServer ? message : null;
        var where = endpoint is null ? "" : $" ({method} at {endpoint})";
        Exception? inner = failure.InnerException;

        EtcdException ex;
        // notApplied: provably not applied; transient: worth another attempt; ambiguous: a sent write may have committed.
        bool notApplied, transient, ambiguous, endpointFailure = false;

        if (!failure.FromServer)
        {
            if (code == GrpcStatusCode.ResourceExhausted && !failure.RequestSent)
            {
                ex = new EtcdRequestTooLargeException(message + where, code, null, inner);
                (notApplied, transient, ambiguous) = (true, false, false);
            }
            else if (code == GrpcStatusCode.DeadlineExceeded)
            {
                ex = new EtcdUnavailableException($"etcd call timed out{where}.", code, null, inner);
                (notApplied, transient, ambiguous, endpointFailure) = (!failure.RequestSent, true, failure.RequestSent, true);
            }
            else
            {
                ex = new EtcdUnavailableException(
                    (failure.RequestSent ? "Connection to etcd lost during the call" : "Could not reach etcd") + $"{where}: {message}", code, null, inner);
                (notApplied, transient, ambiguous, endpointFailure) = (!failure.RequestSent, true, failure.RequestSent, true);
            }
        }
        else if (message == TooManyOps)
        {
            ex = new EtcdTooManyOperationsException(message + where, code, server, inner);
            (notApplied, transient, ambiguous) = (true, false, false);
        }
        else if (message == RequestTooLarge || (code == GrpcStatusCode.ResourceExhausted && message?.Contains("larger than max", StringComparison.Ordinal) == true))
        {
            ex = new EtcdRequestTooLargeException(message + where, code, server, inner);
            (notApplied, transient, ambiguous) = (true, false, false);
        }
        else if (message == Compacted)
        {
            ex = new EtcdCompactedException(message + where, code, server, 0, inner);
            (notApplied, transient, ambiguous) = (true, false, false);
        }
        else if (message == NoSpace)
        {
            // The write that crosses the quota is applied and still answers NOSPACE.
            ex = new EtcdNoSpaceException(message + where, code, server, inner);
            (notApplied, transient, ambiguous) = (false, false, true);
        }
        else if (message == TooManyRequests)
        {
            // Rejected before proposal (apply lags commit): never applied.
            ex = new EtcdUnavailableException(message + where, code, server, inner);
            (notApplied, transient, ambiguous) = (true, true, false);
        }
        else if (message == NoLeader || message?.Contains(ProposalDropped, StringComparison.Ordinal) == true)
        {
            // Raised before proposal (require-leader check, or raft dropping a proposal without a leader).
            ex = new EtcdNoLeaderException(message + where, code, server, inner);
            (notApplied, transient, ambiguous, endpointFailure) = (true, true, false, true);
        }
        else if (message == LeaderChanged || message?.StartsWith(TimedOut, StringComparison.Ordinal) == true || message == Stopped)
        {
            // Proposed, then the wait for apply gave up: the write may still commit.
            ex = new EtcdUnavailableException(message + where, code, server, inner);
            (notApplied, transient, ambiguous, endpointFailure) = (false, true, true, message != LeaderChanged);
        }
        else if (message == LeaseNotFound)
        {
            ex = new EtcdLeaseNotFoundException(message + where, code, server, inner);
            (notApplied, transient, ambiguous) = (true, false, false);
        }
        else if (message == InvalidAuthToken)
        {
            // Checked before proposal; the client re-authenticates and tries again.
            ex = new EtcdAuthenticationException(message + where, code, server, inner);
            (notApplied, transient, ambiguous) = (true, true, false);
        }
        else
        {
            (ex, notApplied, transient, ambiguous, endpointFailure) = ByCode(code, message, server, where, inner);
        }

        ex.Endpoint = endpoint;
        ex.Method = method;
        ex.EndpointFailure = endpointFailure;

        if (kind == CallKind.Idempotent)
        {
            ex.Retryable = transient;
            return ex;
        }

        if (ambiguous && failure.RequestSent)
        {
            if (ex is EtcdNoSpaceException)
            {
                ex.MayHaveBeenApplied = true;
                ex.Request = request;
                return ex;
            }

            return new EtcdUnknownOutcomeException(
                $"The outcome of {method ?? "the write"} is unknown: {ex.Message}", ex.StatusCode, ex.EtcdMessage, ex)
            {
                Endpoint = endpoint,
                Method = method,
                MayHaveBeenApplied = true,
                Request = request,
                EndpointFailure = endpointFailure,
            };
        }

        ex.Retryable = transient && (notApplied || !failure.RequestSent);
        return ex;
    }

    private static (EtcdException, bool NotApplied, bool Transient, bool Ambiguous, bool EndpointFailure) ByCode(
        GrpcStatusCode code, string? message, string? server, string where, Exception? inner)
    {
        var text = (message ?? code.ToString()) + where;
        if (message == PermissionDenied || code == GrpcStatusCode.PermissionDenied)
            return (new EtcdPermissionDeniedException(text, code, server, inner), true, false, false, false);
        if (message == AuthFailed || message == AuthNotEnabled || code == GrpcStatusCode.Unauthenticated
            || message?.StartsWith("etcdserver: user name", StringComparison.Ordinal) == true)
            return (new EtcdAuthenticationException(text, code, server, inner), true, false, false, false);

        return code switch
        {
            GrpcStatusCode.InvalidArgument or GrpcStatusCode.OutOfRange or GrpcStatusCode.FailedPrecondition or GrpcStatusCode.AlreadyExists =>
                (new EtcdInvalidArgumentException(text, code, server, inner), true, false, false, false),
            GrpcStatusCode.NotFound or GrpcStatusCode.Unimplemented =>
                (new EtcdException(text, code, server, inner), true, false, false, false),
            GrpcStatusCode.Unavailable =>
                (new EtcdUnavailableException(text, code, server, inner), message == NotCapable, true, message != NotCapable, true),
            GrpcStatusCode.DeadlineExceeded =>
                (new EtcdUnavailableException(text, code, server, inner), false, true, true, true),
            GrpcStatusCode.ResourceExhausted =>
                (new EtcdException(text, code, server, inner), false, true, true, false),
            _ => (new EtcdException(text, code, server, inner), false, false, true, false),
        };
    }
}
