using Fossil.Kv.Etcd;

namespace Fossil.Kv.Appends;

/// <summary>The one place where etcd failures become the store's exceptions.</summary>
internal static class AppendErrors
{
    private static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(1);

    public static Exception Translate(Exception exception) => exception switch
    {
        FossilException or OperationCanceledException or RerouteException => exception,
        EtcdNoSpaceException e => new StoreFullException(
            "etcd is over its space quota (NOSPACE alarm): appends are refused until space is freed; reads go on. " +
            "Recover with eviction, 'fossil etcd compact', 'fossil etcd defrag' and 'fossil etcd disarm'.", e),
        EtcdRequestTooLargeException e => new AppendTooLargeException(
            $"The append does not fit one etcd request ({AppendLimits.EtcdRequestBytes} bytes by default).", AppendLimits.EtcdRequestBytes) { },
        EtcdUnknownOutcomeException e => new StoreUnavailableException(
            "etcd did not say whether the append was written; retry it with the same event ids (the retry is idempotent).", RetryAfter, e),
        EtcdException e => new StoreUnavailableException($"etcd is unavailable: {e.Message}", RetryAfter, e),
        HttpRequestException or TimeoutException or IOException => new StoreUnavailableException($"etcd is unavailable: {exception.Message}", RetryAfter, exception),
        _ => exception,
    };
}
