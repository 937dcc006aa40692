using Fossil.Kv.Segments;

namespace Fossil.Kv;

/// <summary>
/// Base of the store's exceptions. <see cref="ErrorCode"/> is the stable code the HTTP API and the CLI
/// show (<c>{"error": "&lt;code&gt;"}</c>); the message names the problem.
/// </summary>
public abstract class FossilException(string errorCode, string message, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>
    /// The stable, snake_case code of the failure, e.g. <c>wrong_expected_version</c> or <c>unavailable</c>; match
    /// on it (or on the exception type), never on the message, which may change.
    /// </summary>
    public string ErrorCode { get; } = errorCode;
}

/// <summary>The request is malformed or breaks a rule; nothing was written.</summary>
public class InvalidRequestException(string message) : FossilException("invalid_request", message);

/// <summary>
/// The stream name breaks the naming rule (1–256 bytes of UTF-8, no control characters, no lone surrogates);
/// nothing was read or written. Error code <c>invalid_request</c>.
/// </summary>
/// <param name="stream">The name as given; null when none was.</param>
/// <param name="problem">What is wrong with it, as a phrase without a final period.</param>
public sealed class InvalidStreamNameException(string? stream, string problem)
    : InvalidRequestException($"Invalid stream name{(stream is null ? "" : $" '{Truncate(stream)}'")}: {problem}.")
{
    /// <summary>The name as given (in full; the message shortens it to 64 characters); null when none was.</summary>
    public string? Stream { get; } = stream;

    private static string Truncate(string stream) => stream.Length <= 64 ? stream : stream[..64] + "…";
}

/// <summary>The stream's version did not match what the append expected; nothing was written.</summary>
/// <param name="stream">The stream whose version did not match.</param>
/// <param name="expected">What the append expected of the stream.</param>
/// <param name="actualVersion">The stream's last version, or -1 when the stream does not exist.</param>
public sealed class WrongExpectedVersionException(string stream, StreamState expected, long actualVersion)
    : FossilException("wrong_expected_version",
        $"Append to stream '{stream}' expected {expected} but {(actualVersion < 0 ? "the stream does not exist (no_stream)" : $"the stream is at version {actualVersion}")}.")
{
    /// <summary>The stream whose version did not match.</summary>
    public string Stream { get; } = stream;

    /// <summary>What the append expected of the stream.</summary>
    public StreamState ExpectedState { get; } = expected;

    /// <summary>The stream's last version, or -1 when the stream does not exist.</summary>
    public long ActualVersion { get; } = actualVersion;
}

/// <summary>An event id the stream already holds was sent again with different content, or in another append; nothing was written.</summary>
/// <param name="stream">The stream that holds the id.</param>
/// <param name="eventId">The id sent again.</param>
/// <param name="version">The version at which the stream holds it.</param>
public sealed class DuplicateEventIdException(string stream, Guid eventId, long version)
    : FossilException("duplicate_event_id",
        $"Event id {eventId} is already in stream '{stream}' at version {version}; a repeat must resend that whole append with the same ids and content.")
{
    /// <summary>The stream that holds the event id already.</summary>
    public string Stream { get; } = stream;

    /// <summary>An id of the append that the stream holds already, written by another append or with other content.</summary>
    public Guid EventId { get; } = eventId;

    /// <summary>The version at which the stream holds <see cref="EventId"/>.</summary>
    public long Version { get; } = version;
}

/// <summary>The stream does not exist: no event was ever appended to it.</summary>
/// <param name="stream">The stream that was asked for.</param>
public sealed class StreamNotFoundException(string stream)
    : FossilException("stream_not_found", $"Stream '{stream}' does not exist.")
{
    /// <summary>The stream that was asked for.</summary>
    public string Stream { get; } = stream;
}

/// <summary>No segment with this id is in the catalog: it never existed, was evicted, or the text is not a segment id.</summary>
/// <param name="segment">The segment id as given.</param>
public sealed class SegmentNotFoundException(string segment)
    : FossilException("segment_not_found", $"Segment '{segment}' does not exist.")
{
    /// <summary>The segment id as given (it need not be a well-formed id).</summary>
    public string Segment { get; } = segment;
}

/// <summary>An append or event can never fit one etcd request; nothing was written.</summary>
public sealed class AppendTooLargeException(string message, long limit)
    : FossilException("too_large", message)
{
    /// <summary>The limit the append breaks, in the unit the message names: bytes of encoded events, or events per append.</summary>
    public long Limit { get; } = limit;
}

/// <summary>etcd cannot take the request now (no leader, unreachable, overloaded); retry later.</summary>
public sealed class StoreUnavailableException(string message, TimeSpan retryAfter, Exception? inner = null)
    : FossilException("unavailable", message, inner)
{
    /// <summary>
    /// How long to wait before retrying (the node sends it as <c>Retry-After</c>). An append may be retried with
    /// the same event ids whether or not it was written: a repeat is recognized and writes nothing.
    /// </summary>
    public TimeSpan RetryAfter { get; } = retryAfter;
}

/// <summary>etcd is over its space quota (NOSPACE alarm): writes are refused, reads go on.</summary>
public sealed class StoreFullException(string message, Exception? inner = null)
    : FossilException("no_space", message, inner);

/// <summary>A segment is not in a state that allows the operation (e.g. evicting the active segment).</summary>
public sealed class SegmentStateException(SegmentId segment, string message)
    : FossilException("invalid_segment_state", message)
{
    /// <summary>The segment the operation was refused for.</summary>
    public SegmentId Segment { get; } = segment;
}

/// <summary>
/// A settings change made on a version of <c>/meta/config</c> that is no longer current (another change came
/// first); nothing was changed. Read the settings again and decide anew.
/// </summary>
public sealed class SettingsChangedException : FossilException
{
    /// <summary>The settings moved from <paramref name="expectedRevision"/> to <paramref name="actualRevision"/>.</summary>
    public SettingsChangedException(long expectedRevision, long actualRevision)
        : this([expectedRevision], actualRevision)
    {
    }

    /// <summary>The settings are at <paramref name="actualRevision"/>, none of <paramref name="expectedRevisions"/>.</summary>
    public SettingsChangedException(IReadOnlyCollection<long> expectedRevisions, long actualRevision)
        : this(expectedRevisions, actualRevision, Describe(expectedRevisions, actualRevision))
    {
    }

    /// <summary>The precondition failed for a reason <paramref name="message"/> gives, such as a weak ETag, which never matches.</summary>
    public SettingsChangedException(long expectedRevision, long actualRevision, string message)
        : this([expectedRevision], actualRevision, message)
    {
    }

    private SettingsChangedException(IReadOnlyCollection<long> expectedRevisions, long actualRevision, string message)
        : base("config_changed", message)
    {
        ExpectedRevisions = [.. expectedRevisions];
        ExpectedRevision = ExpectedRevisions.Count == 0 ? 0 : ExpectedRevisions.Max();
        ActualRevision = actualRevision;
    }

    /// <summary>The etcd mod revision of <c>/meta/config</c> the change was based on (of several, the latest).</summary>
    public long ExpectedRevision { get; }

    /// <summary>Every revision the change would have applied at.</summary>
    public IReadOnlyList<long> ExpectedRevisions { get; }

    /// <summary>The mod revision <c>/meta/config</c> is at now.</summary>
    public long ActualRevision { get; }

    // A revision later than the current one was never answered (the settings' revision only grows, and every read
    // answers the current one), so "changed since" would be false for it: it is named as what it is, a revision
    // this store never gave out (a typo, or a tag from another store or another etcd).
    private static string Describe(IReadOnlyCollection<long> expected, long actual)
    {
        var since = expected.Where(r => r < actual).Select(r => (long?)r).Max();
        var never = expected.Where(r => r > actual).Order().ToArray();
        var unknown = never.Length switch
        {
            0 => "",
            1 => $"revision {never[0]} is not one this store has answered",
            _ => $"revisions {string.Join(", ", never)} are not ones this store has answered",
        };
        return since is not null || never.Length == 0
            ? $"/meta/config changed since revision {since} (it is at revision {actual} now{(unknown.Length == 0 ? "" : "; " + unknown)}); read it again and retry."
            : $"/meta/config is at revision {actual}, and {unknown}: no answer names a later revision than the settings are at. Read it again and retry.";
    }
}
