namespace Fossil.Kv.Etcd;

/// <summary>gRPC status codes (the numbers are the wire values of <c>grpc-status</c>).</summary>
public enum GrpcStatusCode
{
    /// <summary>The call succeeded.</summary>
    OK = 0,

    /// <summary>The call was canceled, usually by the caller.</summary>
    Cancelled = 1,

    /// <summary>An error with no better code; also what a client-side failure without a status reports.</summary>
    Unknown = 2,

    /// <summary>The request is malformed (etcd: duplicate key in a Txn, empty key, too many operations, ...).</summary>
    InvalidArgument = 3,

    /// <summary>The deadline passed before the call finished; a write may still have been applied.</summary>
    DeadlineExceeded = 4,

    /// <summary>The thing asked for does not exist (etcd: a lease that expired or was revoked).</summary>
    NotFound = 5,

    /// <summary>The thing to create exists already.</summary>
    AlreadyExists = 6,

    /// <summary>The caller may not do this (etcd: the user's roles do not cover the keys).</summary>
    PermissionDenied = 7,

    /// <summary>A quota or limit is exhausted (etcd: NOSPACE, too many requests, a message over a size limit).</summary>
    ResourceExhausted = 8,

    /// <summary>The system is not in a state that allows the call (etcd: authentication not enabled).</summary>
    FailedPrecondition = 9,

    /// <summary>The call was aborted, typically by a concurrency conflict.</summary>
    Aborted = 10,

    /// <summary>A value is past the valid range (etcd: a revision that is compacted or in the future).</summary>
    OutOfRange = 11,

    /// <summary>The server does not implement the method (e.g. an etcd older than the feature).</summary>
    Unimplemented = 12,

    /// <summary>An internal error on the server, or gRPC framing the client could not read.</summary>
    Internal = 13,

    /// <summary>The member cannot serve the call now (no leader, stopping, unreachable); safe to retry a read.</summary>
    Unavailable = 14,

    /// <summary>Unrecoverable data loss or corruption.</summary>
    DataLoss = 15,

    /// <summary>The caller is not authenticated, or its token is no longer valid.</summary>
    Unauthenticated = 16,
}
