using System.Diagnostics;

namespace Fossil.Kv.Etcd.Transport;

/// <summary>
/// Sticks to one member while it works (connection reuse, read-your-writes on one member) and moves
/// to the next one that is not marked down when it fails.
/// </summary>
internal sealed class EndpointSelector
{
    private readonly EtcdEndpoint[] _endpoints;
    private readonly long _downTicks;
    private int _current;

    public EndpointSelector(IEnumerable<string> addresses, TimeSpan downTime)
    {
        _endpoints = addresses.Select(a => new EtcdEndpoint(a)).DistinctBy(e => e.Address).ToArray();
        if (_endpoints.Length == 0) throw new ArgumentException("At least one etcd endpoint is required.", nameof(addresses));
        _downTicks = (long)(downTime.TotalSeconds * Stopwatch.Frequency);
    }

    public IReadOnlyList<EtcdEndpoint> All => _endpoints;

    public EtcdEndpoint Current
    {
        get
        {
            var index = Volatile.Read(ref _current);
            var endpoint = _endpoints[index];
            var now = Stopwatch.GetTimestamp();
            if (!endpoint.IsDown(now)) return endpoint;

            // Current one is down: the next healthy one, else the one that comes back soonest.
            var best = endpoint;
            for (var i = 1; i < _endpoints.Length; i++)
            {
                var candidate = _endpoints[(index + i) % _endpoints.Length];
                if (!candidate.IsDown(now))
                {
                    Interlocked.CompareExchange(ref _current, (index + i) % _endpoints.Length, index);
                    return candidate;
                }

                if (candidate.DownUntil < best.DownUntil) best = candidate;
            }

            return best;
        }
    }

    public void MarkFailed(EtcdEndpoint endpoint)
    {
        endpoint.MarkDown(Stopwatch.GetTimestamp() + _downTicks);
        var index = Array.IndexOf(_endpoints, endpoint);
        if (index >= 0) Interlocked.CompareExchange(ref _current, (index + 1) % _endpoints.Length, index);
    }

    public EtcdEndpoint Find(string address)
    {
        var probe = new EtcdEndpoint(address);
        return _endpoints.FirstOrDefault(e => e.Address == probe.Address) ?? probe;
    }
}
