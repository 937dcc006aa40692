using Microsoft.Extensions.Logging;

namespace Fossil.Kv;

/// <summary>The store's log messages, in one place. Event ids: 1000–1099 segments, 1100–1199 appends, 1200–1299 reads and subscriptions, 1300–1399 search.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 1000, Level = LogLevel.Information, Message = "Window {Start:o}–{End:o} with {Partitions} partitions is now current: {Segments}")]
    public static partial void WindowRotated(ILogger logger, DateTime start, DateTime end, int partitions, IReadOnlyList<string> segments);

    [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "Segment {Segment} passed segment.max_size ({SizeBytes} bytes); rotating its partition")]
    public static partial void SegmentFull(ILogger logger, Segments.SegmentId segment, long sizeBytes);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Information, Message = "Segment {Segment} is archived at {Directory}; its event keys left etcd")]
    public static partial void SegmentArchived(ILogger logger, Segments.SegmentId segment, string directory);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Warning, Message = "etcd is over its quota (NOSPACE): deleted the events of segment {Segment}; its eviction finishes once compaction, defragmentation and disarming let etcd take writes again")]
    public static partial void EvictionDeferred(ILogger logger, Segments.SegmentId segment);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Warning, Message = "etcd is over its quota (NOSPACE): compacting to revision {Revision} without claiming the round")]
    public static partial void CompactingUnderNoSpace(ILogger logger, long revision);

    [LoggerMessage(EventId = 1005, Level = LogLevel.Warning, Message = "Segment {Segment} could not be materialized or archived this round")]
    public static partial void SegmentWorkFailed(ILogger logger, Segments.SegmentId segment, Exception exception);

    [LoggerMessage(EventId = 1006, Level = LogLevel.Warning, Message = "Segment {Segment} holds {Count} vectors that cannot be indexed under vector.metric '{Metric}' (all but zero, or taken under another metric); their events are kept but not found by vector search")]
    public static partial void VectorsNotIndexed(ILogger logger, Segments.SegmentId segment, long count, string metric);

    [LoggerMessage(EventId = 1007, Level = LogLevel.Information, Message = "Dropped this node's files of {Count} segments that left the catalog (evicted or expired elsewhere)")]
    public static partial void LocalCopiesDropped(ILogger logger, int count);

    [LoggerMessage(EventId = 1008, Level = LogLevel.Information, Message = "/meta/config rules the store-wide settings: {Differences} (this node's configuration only seeds them when /meta/config is absent)")]
    public static partial void SettingsFromMeta(ILogger logger, string differences);

    [LoggerMessage(EventId = 1100, Level = LogLevel.Warning, Message = "Append transaction into {Segment} has an unknown outcome; resolving it with a fence")]
    public static partial void UnknownOutcome(ILogger logger, IReadOnlyCollection<Segments.SegmentId> segment, Exception exception);

    [LoggerMessage(EventId = 1101, Level = LogLevel.Debug, Message = "Append transaction into {Segment} lost a compare; {Retried} appends retried")]
    public static partial void TxnConflict(ILogger logger, IReadOnlyCollection<Segments.SegmentId> segment, int retried);

    [LoggerMessage(EventId = 1200, Level = LogLevel.Warning, Message = "Subscription watch failed; catching up from storage at {Position}")]
    public static partial void SubscriptionRecovering(ILogger logger, string position, Exception exception);

    [LoggerMessage(EventId = 1300, Level = LogLevel.Warning, Message = "The search index follower failed; resuming after {Position}")]
    public static partial void SearchFollowerRestarting(ILogger logger, string position, Exception exception);
}
