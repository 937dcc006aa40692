using Fossil.Kv.Segments;

namespace Fossil.Kv;

/// <summary>
/// Base of the store's exceptions. <see cref="ErrorCode"/> is the stable code the HTTP API and the CLI
/// show (<c>{"error": "&lt;code&gt;"}</c>); the message names the problem.
/// </summary>
public abstract class FossilException(string errorCode, string message, Exception? inner = null) : Exception(message, inner)
{
    public string ErrorCode { get; } = errorCode;
}

/// <summary>The request is malformed or breaks a rule; nothing was written.</summary>
public class InvalidRequestException(string message) : FossilException("invalid_request", message);

public sealed class InvalidStreamNameException(string? stream, string problem)
    : InvalidRequestException($"Invalid stream name{(stream is null ? "" : $" '{Truncate(stream)}'")}: {problem}.")
{
    public string? Stream { get; } = stream;

    private static string Truncate(string stream) => stream.Length <= 64 ? stream : stream[..64] + "…";
}

/// <summary>The stream's version did not match what the append expected; nothing was written.</summary>
public sealed class WrongExpectedVersionException(string stream, StreamState expected, long actualVersion)
    : FossilException("wrong_expected_version",
        $"Append to stream '{stream}' expected {expected} but {(actualVersion < 0 ? "the stream does not exist (no_stream)" : $"the stream is at version {actualVersion}")}.")
{
    public string Stream { get; } = stream;

    public StreamState ExpectedState { get; } = expected;

    /// <summary>The stream's last version, or -1 when the stream does not exist.</summary>
    public long ActualVersion { get; } = actualVersion;
}

/// <summary>An event id the stream already holds was sent again with different content.</summary>
public sealed class DuplicateEventIdException(string stream, Guid eventId, long version)
    : FossilException("duplicate_event_id",
        $"Event id {eventId} is already in stream '{stream}' at version {version}; a repeat must resend that whole append with the same ids and content.")
{
    public string Stream { get; } = stream;

    public Guid EventId { get; } = eventId;
}

public sealed class StreamNotFoundException(string stream)
    : FossilException("stream_not_found", $"Stream '{stream}' does not exist.")
{
    public string Stream { get; } = stream;
}

public sealed class SegmentNotFoundException(string segment)
    : FossilException("segment_not_found", $"Segment '{segment}' does not exist.")
{
    public string Segment { get; } = segment;
}

/// <summary>An append or event can never fit one etcd request; nothing was written.</summary>
public sealed class AppendTooLargeException(string message, long limit)
    : FossilException("too_large", message)
{
    public long Limit { get; } = limit;
}

/// <summary>etcd cannot take the request now (no leader, unreachable, overloaded); retry later.</summary>
public sealed class StoreUnavailableException(string message, TimeSpan retryAfter, Exception? inner = null)
    : FossilException("unavailable", message, inner)
{
    public TimeSpan RetryAfter { get; } = retryAfter;
}

/// <summary>etcd is over its space quota (NOSPACE alarm): writes are refused, reads go on.</summary>
public sealed class StoreFullException(string message, Exception? inner = null)
    : FossilException("no_space", message, inner);

/// <summary>A segment is not in a state that allows the operation (e.g. evicting the active segment).</summary>
public sealed class SegmentStateException(SegmentId segment, string message)
    : FossilException("invalid_segment_state", message)
{
    public SegmentId Segment { get; } = segment;
}

/// <summary>
/// A settings change made on a version of <c>/meta/config</c> that is no longer current (another change came
/// first); nothing was changed. Read the settings again and decide anew.
/// </summary>
public sealed class SettingsChangedException(long expectedRevision, long actualRevision)
    : FossilException("config_changed", $"/meta/config changed since revision {expectedRevision} (it is at revision {actualRevision} now); read it again and retry.")
{
    public long ExpectedRevision { get; } = expectedRevision;

    public long ActualRevision { get; } = actualRevision;
}
