using Fossil.Kv.Etcd;
using Fossil.Kv.Keyspace;
using Fossil.Kv.Segments;
using Fossil.Kv.Streams;
using Microsoft.Extensions.Logging;

namespace Fossil.Kv;

/// <summary>What the store's parts share: etcd, the key layout, the catalog, the stream tips and the clock.</summary>
internal sealed class StoreContext(IEtcdClient etcd, FossilOptions options, ILogger logger)
{
    public IEtcdClient Etcd { get; } = etcd;

    public FossilOptions Options { get; } = options;

    public KeyLayout Keys { get; } = new(options.RootPrefix);

    public StreamTipCache Tips { get; } = new();

    public ILogger Logger { get; } = logger;

    public TimeProvider Clock => Options.TimeProvider;

    public DateTime UtcNow => Clock.GetUtcNow().UtcDateTime;
}
