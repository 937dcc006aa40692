using Microsoft.Extensions.Logging;

namespace Fossil.Kv.Etcd;

/// <summary>Settings of an <see cref="EtcdClient"/>. Defaults suit a local or LAN etcd.</summary>
public sealed class EtcdClientOptions
{
    /// <summary>Client URLs of the members, e.g. <c>http://127.0.0.1:2379</c> (a bare host:port means http).</summary>
    public IList<string> Endpoints { get; set; } = ["http://127.0.0.1:2379"];

    /// <summary>Checks that there is an endpoint and that each one is an http or https URL, so a bad one is named before anything connects.</summary>
    /// <exception cref="ArgumentException">No endpoint, or one that is not <c>http://host:port</c> or <c>https://host:port</c>.</exception>
    public void ValidateEndpoints()
    {
        if (Endpoints.Count == 0) throw new ArgumentException("No etcd endpoint is configured.", nameof(Endpoints));
        foreach (var endpoint in Endpoints) _ = new Transport.EtcdEndpoint(endpoint);
    }

    /// <summary>etcd user; when set the client authenticates and sends the token with every call.</summary>
    public string? Username { get; set; }

    /// <summary>Password of <see cref="Username"/>; ignored without one. Null is sent as an empty password.</summary>
    public string? Password { get; set; }

    /// <summary>PEM file of the CA that signed the members' certificates (https endpoints). Null: the system trust store.</summary>
    public string? CaCertificateFile { get; set; }

    /// <summary>PEM client certificate and key for etcd's <c>--client-cert-auth</c>.</summary>
    public string? ClientCertificateFile { get; set; }

    /// <summary>PEM private key of <see cref="ClientCertificateFile"/>; null when the certificate file holds the key too.</summary>
    public string? ClientKeyFile { get; set; }

    /// <summary>How long to wait for a TCP (and TLS) connection to a member.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>Deadline of one attempt of a unary call (sent as grpc-timeout and enforced locally).</summary>
    public TimeSpan CallTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Deadline of a Defragment call, which blocks the member while it rewrites its database.</summary>
    public TimeSpan DefragmentTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>How calls that are safe to retry are retried; <see cref="EtcdRetryOptions.MaxRetries"/> 0 turns retries off.</summary>
    public EtcdRetryOptions Retry { get; set; } = new();

    /// <summary>Largest request message the client sends; bigger requests fail before sending.</summary>
    public int MaxSendMessageSize { get; set; } = 2 * 1024 * 1024;

    /// <summary>Largest response message the client accepts.</summary>
    public int MaxReceiveMessageSize { get; set; } = 256 * 1024 * 1024;

    /// <summary>
    /// Most bytes of responses one watch may hold for a reader that does not keep up. All watches share one
    /// stream from etcd, so a slow reader must neither stall the others nor grow without bound: past this, its
    /// watch ends with <see cref="EtcdWatchOverflowException"/> after the responses it holds, and the reader can
    /// watch again from the next revision it needs.
    /// </summary>
    public long MaxWatchBufferBytes { get; set; } = 16 * 1024 * 1024;

    /// <summary>HTTP/2 connections per member that unary calls are spread over (streams use the first).</summary>
    public int ConnectionsPerEndpoint { get; set; } = 4;

    /// <summary>HTTP/2 keep-alive ping period while a call is open. etcd refuses pings more often than every 5 s.</summary>
    public TimeSpan KeepAliveInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>A member that does not answer a keep-alive ping within this time is treated as gone.</summary>
    public TimeSpan KeepAliveTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long a member that failed is avoided before it is tried again.</summary>
    public TimeSpan EndpointDownTime { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Where retries, failed members and authentication are logged; null logs nothing.</summary>
    public ILogger? Logger { get; set; }
}

/// <summary>Jittered exponential retries (Polly) for calls that are safe to retry.</summary>
public sealed class EtcdRetryOptions
{
    /// <summary>Retries after the first attempt.</summary>
    public int MaxRetries { get; set; } = 6;

    /// <summary>Delay before the first retry; each later one doubles it (with jitter), up to <see cref="MaxDelay"/>.</summary>
    public TimeSpan BaseDelay { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>Longest delay between two attempts.</summary>
    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>No retry starts after this long since the first attempt: an unreachable etcd fails within seconds.</summary>
    public TimeSpan MaxRetryDuration { get; set; } = TimeSpan.FromSeconds(5);
}
