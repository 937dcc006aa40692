using Microsoft.Extensions.Logging;

namespace Fossil.Kv.Etcd;

/// <summary>All log messages of the etcd client. Event ids: 1xxx calls, 2xxx watch, 3xxx lease.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 1001, Level = LogLevel.Debug, Message = "etcd {Method} failed on attempt {Attempt}; retrying in {Delay}")]
    public static partial void Retrying(ILogger logger, string? method, int attempt, TimeSpan delay, Exception? exception);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Warning, Message = "etcd endpoint {Endpoint} failed; moving to another member: {Reason}")]
    public static partial void EndpointFailed(ILogger logger, string endpoint, string reason);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Debug, Message = "Authenticated to etcd as {User} at {Endpoint}")]
    public static partial void Authenticated(ILogger logger, string user, string endpoint);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Debug, Message = "etcd auth token rejected; re-authenticating")]
    public static partial void TokenInvalid(ILogger logger);

    [LoggerMessage(EventId = 2001, Level = LogLevel.Debug, Message = "Watch stream opened to {Endpoint} for {Count} watches")]
    public static partial void WatchStreamOpened(ILogger logger, string endpoint, int count);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Warning, Message = "Watch stream to {Endpoint} failed; resuming")]
    public static partial void WatchStreamFailed(ILogger logger, string endpoint, Exception exception);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Debug, Message = "Watch {WatchId} dropped {Count} already delivered events (below revision {NextRevision})")]
    public static partial void WatchDuplicatesDropped(ILogger logger, long watchId, int count, long nextRevision);

    [LoggerMessage(EventId = 2005, Level = LogLevel.Warning, Message = "Watch {WatchId} ended: its reader fell behind by more than the buffer allows (next revision {NextRevision})")]
    public static partial void WatchOverflowed(ILogger logger, long watchId, long nextRevision);

    [LoggerMessage(EventId = 2004, Level = LogLevel.Information, Message = "Watch {WatchId} canceled by etcd: {Reason}")]
    public static partial void WatchCanceled(ILogger logger, long watchId, string reason);

    [LoggerMessage(EventId = 3001, Level = LogLevel.Warning, Message = "Keep-alive of lease {LeaseId} via {Endpoint} failed; retrying")]
    public static partial void KeepAliveFailed(ILogger logger, long leaseId, string endpoint, Exception exception);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Warning, Message = "Lease {LeaseId} lost: {Reason}")]
    public static partial void LeaseLost(ILogger logger, long leaseId, string reason);
}
