using Microsoft.Extensions.Logging;

namespace Fossil.Kv;

/// <summary>The store's log messages, in one place. Event ids: 1000–1099 segments, 1100–1199 appends, 1200–1299 reads and subscriptions, 1300–1399 search.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 1000, Level = LogLevel.Information, Message = "Window {Start:o}–{End:o} with {Partitions} partitions is now current: {Segments}")]
    public static partial void WindowRotated(ILogger logger, DateTime start, DateTime end, int partitions, IReadOnlyList<string> segments);

    [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "Segment {Segment} passed segment.max_size ({SizeBytes} bytes); rotating its partition")]
    public static partial void SegmentFull(ILogger logger, Segments.SegmentId segment, long sizeBytes);

    [LoggerMessage(EventId = 1100, Level = LogLevel.Warning, Message = "Append transaction into {Segment} has an unknown outcome; resolving it with a fence")]
    public static partial void UnknownOutcome(ILogger logger, IReadOnlyCollection<Segments.SegmentId> segment, Exception exception);

    [LoggerMessage(EventId = 1101, Level = LogLevel.Debug, Message = "Append transaction into {Segment} lost a compare; {Retried} appends retried")]
    public static partial void TxnConflict(ILogger logger, IReadOnlyCollection<Segments.SegmentId> segment, int retried);

    [LoggerMessage(EventId = 1200, Level = LogLevel.Warning, Message = "Subscription watch failed; catching up from storage at {Position}")]
    public static partial void SubscriptionRecovering(ILogger logger, string position, Exception exception);

    [LoggerMessage(EventId = 1300, Level = LogLevel.Warning, Message = "The search index follower failed; resuming after {Position}")]
    public static partial void SearchFollowerRestarting(ILogger logger, string position, Exception exception);
}
