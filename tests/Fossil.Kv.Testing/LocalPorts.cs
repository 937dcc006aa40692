using System.Net;
using System.Net.Sockets;

namespace Fossil.Kv.Testing;

/// <summary>Finds loopback ports nobody listens on, for etcd members and test servers.</summary>
public static class LocalPorts
{
    /// <summary>
    /// Asks the kernel for a free port. Another process can take it before we bind it, so callers that
    /// start a server on it retry with a new port when the bind fails.
    /// </summary>
    public static int GetFree()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
