namespace Fossil.Kv.Node;

/// <summary>The node's log messages. Event ids: 100–199 hosting, 200–299 HTTP.</summary>
internal static partial class NodeLog
{
    [LoggerMessage(EventId = 200, Level = LogLevel.Error, Message = "Request {Method} {Path} failed")]
    public static partial void RequestFailed(ILogger logger, string method, string path, Exception exception);
}
