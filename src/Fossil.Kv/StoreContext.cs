using Fossil.Kv.Etcd;
using Fossil.Kv.Keyspace;
using Fossil.Kv.Segments;
using Fossil.Kv.Streams;
using Microsoft.Extensions.Logging;

namespace Fossil.Kv;

/// <summary>What the store's parts share: etcd, the key layout, the local segment files, the stream tips and the clock.</summary>
internal sealed class StoreContext
{
    public StoreContext(IEtcdClient etcd, FossilOptions options, ILogger logger)
    {
        Etcd = etcd;
        Options = options;
        Keys = new(options.RootPrefix);
        Logger = logger;
        Local = new(this);
    }

    public IEtcdClient Etcd { get; }

    public FossilOptions Options { get; }

    public KeyLayout Keys { get; }

    /// <summary>This node's sealed segment files (and the archive): stream tips whose last segment left etcd are read from them.</summary>
    public Lifecycle.LocalSegments Local { get; }

    public StreamTipCache Tips { get; } = new();

    public ILogger Logger { get; }

    public TimeProvider Clock => Options.TimeProvider;

    public DateTime UtcNow => Clock.GetUtcNow().UtcDateTime;
}
