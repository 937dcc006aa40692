using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Google.Protobuf;

namespace Fossil.Kv.Etcd.Transport;

/// <summary>
/// gRPC over HTTP/2 with <see cref="SocketsHttpHandler"/>: h2c prior knowledge for http endpoints,
/// ALPN h2 for https. One handler (a connection pool per member) for all calls of a client.
/// </summary>
internal sealed class GrpcTransport : IDisposable
{
    private readonly HttpMessageInvoker[] _invokers;
    private readonly HttpMessageInvoker _streams;
    private readonly int _maxSend;
    private uint _next;
    private readonly int _maxReceive;

    public GrpcTransport(EtcdClientOptions options)
    {
        _maxSend = options.MaxSendMessageSize;
        _maxReceive = options.MaxReceiveMessageSize;
        // Several HTTP/2 connections per member: etcd (grpc-go) reads each connection on one goroutine
        // and gives it one flow-control window, so one connection caps throughput under load.
        _invokers = new HttpMessageInvoker[Math.Max(1, options.ConnectionsPerEndpoint)];
        for (var i = 0; i < _invokers.Length; i++) _invokers[i] = new HttpMessageInvoker(CreateHandler(options), disposeHandler: true);
        _streams = _invokers[0];
    }

    private static SocketsHttpHandler CreateHandler(EtcdClientOptions options)
    {
        var keepAlive = options.KeepAliveInterval < TimeSpan.FromSeconds(5) ? TimeSpan.FromSeconds(5) : options.KeepAliveInterval;
        var handler = new SocketsHttpHandler
        {
            EnableMultipleHttp2Connections = true,
            ConnectTimeout = options.ConnectTimeout,
            // Pings only while a call is open and no more often than etcd's 5 s minimum.
            KeepAlivePingPolicy = HttpKeepAlivePingPolicy.WithActiveRequests,
            KeepAlivePingDelay = keepAlive,
            KeepAlivePingTimeout = options.KeepAliveTimeout,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
            UseProxy = false,
            UseCookies = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            InitialHttp2StreamWindowSize = 4 * 1024 * 1024,
        };
        ConfigureTls(handler, options);
        return handler;
    }

    public int MaxReceiveMessageSize => _maxReceive;

    private static void ConfigureTls(SocketsHttpHandler handler, EtcdClientOptions options)
    {
        var ssl = handler.SslOptions;
        if (options.CaCertificateFile is { } caFile)
        {
            var roots = new X509Certificate2Collection();
            roots.ImportFromPemFile(caFile);
            ssl.RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
            {
                if (errors == SslPolicyErrors.None) return true;
                if ((errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != 0 || certificate is null) return false;
                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.AddRange(roots);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                using var leaf = new X509Certificate2(certificate);
                return chain.Build(leaf);
            };
        }

        if (options.ClientCertificateFile is { } certFile)
        {
            var certificate = X509Certificate2.CreateFromPemFile(certFile, options.ClientKeyFile);
            ssl.ClientCertificates = [certificate];
        }
    }

    private static HttpRequestMessage CreateRequest(EtcdEndpoint endpoint, string method, HttpContent content, TimeSpan? deadline, string? token, bool requireLeader)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, endpoint.MethodUri(method))
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = content,
        };
        var headers = request.Headers;
        headers.TryAddWithoutValidation("te", "trailers");
        if (deadline is { } d)
        {
            var ms = Math.Clamp((long)Math.Ceiling(d.TotalMilliseconds), 1, 99_999_999);
            headers.TryAddWithoutValidation("grpc-timeout", ms.ToString(CultureInfo.InvariantCulture) + "m");
        }

        if (token is not null) headers.TryAddWithoutValidation("token", token);
        // etcd cancels streams of members that lose their leader when asked to (clientv3 WithRequireLeader).
        if (requireLeader) headers.TryAddWithoutValidation("hasleader", "true");
        return request;
    }

    /// <summary>One unary call, one attempt. Throws <see cref="GrpcCallFailure"/> or the caller's cancellation.</summary>
    public async Task<TResponse> UnaryAsync<TResponse>(
        EtcdEndpoint endpoint, string method, IMessage request, MessageParser<TResponse> parser,
        TimeSpan deadline, string? token, CancellationToken cancellationToken)
        where TResponse : class, IMessage<TResponse>
    {
        var content = new GrpcMessageContent(request, _maxSend);
        using var httpRequest = CreateRequest(endpoint, method, content, deadline, token, requireLeader: false);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(deadline);

        HttpResponseMessage response;
        try
        {
            var invoker = _invokers.Length == 1 ? _invokers[0] : _invokers[Interlocked.Increment(ref _next) % (uint)_invokers.Length];
            response = await invoker.SendAsync(httpRequest, cts.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not GrpcCallFailure)
        {
            throw TransportFailure(e, content.Started, cancellationToken, cts.Token);
        }

        using (response)
        {
            if (response.StatusCode != HttpStatusCode.OK)
            {
                throw GrpcStatusReader.FailureFromHttpStatus(response.StatusCode, endpoint);
            }

            if (GrpcStatusReader.TryGetStatus(response.Headers, out var headerCode, out var headerMessage))
            {
                // Trailers-only response: the status is in the headers and there is no message.
                throw new GrpcCallFailure(headerCode == GrpcStatusCode.OK ? GrpcStatusCode.Internal : headerCode,
                    headerCode == GrpcStatusCode.OK ? "OK status without a message" : headerMessage, requestSent: true, fromServer: true);
            }

            TResponse? message;
            try
            {
                var body = await response.Content.ReadAsStreamAsync(cts.Token).ConfigureAwait(false);
                using var reader = new GrpcStreamReader(body, _maxReceive);
                message = await reader.ReadMessageAsync(parser, cts.Token).ConfigureAwait(false);
                if (message is not null && await reader.ReadMessageAsync(parser, cts.Token).ConfigureAwait(false) is not null)
                    throw new EtcdProtocolException($"Unary call {method} answered with more than one message.");
            }
            catch (Exception e) when (e is not GrpcCallFailure and not EtcdProtocolException)
            {
                throw TransportFailure(e, requestSent: true, cancellationToken, cts.Token);
            }

            if (GrpcStatusReader.TryGetStatus(response.TrailingHeaders, out var code, out var grpcMessage))
            {
                if (code != GrpcStatusCode.OK) throw new GrpcCallFailure(code, grpcMessage, requestSent: true, fromServer: true);
            }
            else
            {
                // The stream ended without trailers: the connection broke after the message.
                throw new GrpcCallFailure(GrpcStatusCode.Unavailable, "stream ended without grpc-status", requestSent: true);
            }

            return message ?? throw new EtcdProtocolException($"Unary call {method} ended with OK and no message.");
        }
    }

    /// <summary>Opens a bidirectional call. Write first: etcd sends response headers with its first message.</summary>
    public GrpcDuplexCall OpenDuplex(EtcdEndpoint endpoint, string method, string? token, bool requireLeader)
    {
        var content = new GrpcDuplexContent();
        var request = CreateRequest(endpoint, method, content, deadline: null, token, requireLeader);
        return new GrpcDuplexCall(_streams, request, content, endpoint, _maxSend, _maxReceive);
    }

    /// <summary>Classifies an exception thrown by the HTTP stack (never the caller's own cancellation).</summary>
    internal static Exception TransportFailure(Exception e, bool requestSent, CancellationToken callerToken, CancellationToken callToken)
    {
        if (e is OperationCanceledException && callerToken.IsCancellationRequested) return e;
        if (e is OperationCanceledException && callToken.IsCancellationRequested)
            return new GrpcCallFailure(GrpcStatusCode.DeadlineExceeded, "client deadline exceeded", requestSent, e) { IsClientDeadline = true };
        if (e is OperationCanceledException)
            return new GrpcCallFailure(GrpcStatusCode.Unavailable, "connect timeout: " + e.Message, requestSent, e);
        if (e is HttpProtocolException protocol)
        {
            // RST_STREAM / GOAWAY. REFUSED_STREAM (0x7) means the server did not process the stream.
            var refused = protocol.ErrorCode == 0x7;
            return new GrpcCallFailure(GrpcStatusCode.Unavailable, "HTTP/2 error: " + protocol.Message, requestSent && !refused, e);
        }

        if (e is HttpRequestException or IOException or ObjectDisposedException)
            return new GrpcCallFailure(GrpcStatusCode.Unavailable, e.Message, requestSent, e);
        return e;
    }

    public void Dispose()
    {
        foreach (var invoker in _invokers) invoker.Dispose();
    }
}
