using System.Collections.Concurrent;

namespace Fossil.Kv.Etcd.Transport;

/// <summary>One etcd member's client URL and its recent health as this client saw it.</summary>
internal sealed class EtcdEndpoint
{
    private readonly ConcurrentDictionary<string, Uri> _methodUris = new(StringComparer.Ordinal);
    private long _downUntilTimestamp;

    public EtcdEndpoint(string address)
    {
        var text = address.Trim();
        if (!text.Contains("://", StringComparison.Ordinal)) text = "http://" + text;
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            throw new ArgumentException($"'{address}' is not an etcd endpoint (expected http://host:port or https://host:port).", nameof(address));
        BaseUri = new Uri(uri.GetLeftPart(UriPartial.Authority) + "/");
        Address = BaseUri.GetLeftPart(UriPartial.Authority);
    }

    public string Address { get; }

    public Uri BaseUri { get; }

    public bool IsTls => BaseUri.Scheme == Uri.UriSchemeHttps;

    public Uri MethodUri(string method) => _methodUris.GetOrAdd(method, static (m, b) => new Uri(b, m.TrimStart('/')), BaseUri);

    public bool IsDown(long now) => Volatile.Read(ref _downUntilTimestamp) > now;

    public long DownUntil => Volatile.Read(ref _downUntilTimestamp);

    public void MarkDown(long until) => Volatile.Write(ref _downUntilTimestamp, until);

    public void MarkUp() => Volatile.Write(ref _downUntilTimestamp, 0);

    public override string ToString() => Address;
}
