using System.Collections.Concurrent;
using System.Diagnostics;
using Fossil.Kv.Etcd.Transport;
using Fossil.Kv.Etcd.Watch;
using Google.Protobuf;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Polly;
using Polly.Retry;

namespace Fossil.Kv.Etcd;

/// <summary>
/// etcd v3 client over gRPC/HTTP/2 (see docs/etcd-client.md). Thread-safe; create one per process
/// and share it. Operations are split by area: <c>EtcdClient.Kv.cs</c>, <c>.Lease.cs</c>,
/// <c>.Watch.cs</c>, <c>.Maintenance.cs</c>.
/// </summary>
public sealed partial class EtcdClient : IEtcdClient, IDisposable
{
    /// <summary>Name of the <see cref="System.Diagnostics.Metrics.Meter"/> of the client's instruments (<c>fossil_etcd_errors_total</c>).</summary>
    public const string MeterName = "Fossil.Kv.Etcd";

    private static readonly ResiliencePropertyKey<long> StartedAt = new("fossil.etcd.started-at");

    private readonly EtcdClientOptions _options;
    private readonly ResiliencePipeline _pipeline;
    private readonly long _maxRetryTicks;
    private readonly SemaphoreSlim _authLock = new(1, 1);
    private readonly WatchManager _watches;
    private readonly ConcurrentDictionary<EtcdLease, byte> _leases = new();
    private volatile string? _token;
    private int _disposed;

    /// <summary>
    /// A client for the members in <paramref name="options"/>. Nothing is sent until the first call; the
    /// certificate files are read here. The client keeps <paramref name="options"/>: do not change them afterwards.
    /// </summary>
    /// <exception cref="ArgumentException"><see cref="EtcdClientOptions.Endpoints"/> is empty.</exception>
    public EtcdClient(EtcdClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        Logger = options.Logger ?? NullLogger.Instance;
        Endpoints = new EndpointSelector(options.Endpoints, options.EndpointDownTime);
        Transport = new GrpcTransport(options);
        _maxRetryTicks = (long)(options.Retry.MaxRetryDuration.TotalSeconds * Stopwatch.Frequency);
        _pipeline = BuildPipeline(options.Retry);
        _watches = new WatchManager(this);
    }

    /// <summary>Client for the given endpoints (comma-separated list accepted) with default options.</summary>
    public EtcdClient(string endpoints)
        : this(new EtcdClientOptions { Endpoints = endpoints.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) })
    {
    }

    /// <summary>The options this client was created with.</summary>
    public EtcdClientOptions Options => _options;

    internal ILogger Logger { get; }

    internal EndpointSelector Endpoints { get; }

    internal GrpcTransport Transport { get; }

    private ResiliencePipeline BuildPipeline(EtcdRetryOptions retry)
    {
        if (retry.MaxRetries <= 0) return ResiliencePipeline.Empty;
        return new ResiliencePipelineBuilder()
            .AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = retry.MaxRetries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = retry.BaseDelay,
                MaxDelay = retry.MaxDelay,
                ShouldHandle = args => new ValueTask<bool>(ShouldRetry(args.Outcome.Exception, args.Context)),
                OnRetry = args =>
                {
                    Log.Retrying(Logger, (args.Outcome.Exception as EtcdException)?.Method, args.AttemptNumber + 1, args.RetryDelay, args.Outcome.Exception);
                    return default;
                },
            })
            .Build();
    }

    private bool ShouldRetry(Exception? exception, ResilienceContext context) =>
        exception is EtcdException { Retryable: true }
        && context.Properties.TryGetValue(StartedAt, out var started)
        && Stopwatch.GetTimestamp() - started < _maxRetryTicks;

    /// <summary>A unary call with the retry policy of its method, moving between members on failure.</summary>
    internal async Task<TResponse> CallAsync<TResponse>(
        EtcdMethod<TResponse> method, IMessage request, CancellationToken cancellationToken,
        EtcdEndpoint? endpoint = null, TimeSpan? timeout = null)
        where TResponse : class, IMessage<TResponse>
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        context.Properties.Set(StartedAt, Stopwatch.GetTimestamp());
        try
        {
            var state = new CallState<TResponse>(this, method, request, endpoint, timeout ?? _options.CallTimeout);
            return await _pipeline.ExecuteAsync(
                static (ctx, s) => new ValueTask<TResponse>(s.Client.AttemptAsync(s.Method, s.Request, s.Endpoint, s.Timeout, ctx.CancellationToken)),
                context, state).ConfigureAwait(false);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    private sealed record CallState<TResponse>(EtcdClient Client, EtcdMethod<TResponse> Method, IMessage Request, EtcdEndpoint? Endpoint, TimeSpan Timeout)
        where TResponse : class, IMessage<TResponse>;

    private async Task<TResponse> AttemptAsync<TResponse>(
        EtcdMethod<TResponse> method, IMessage request, EtcdEndpoint? fixedEndpoint, TimeSpan timeout, CancellationToken cancellationToken)
        where TResponse : class, IMessage<TResponse>
    {
        var endpoint = fixedEndpoint ?? Endpoints.Current;
        var token = await GetTokenAsync(endpoint, cancellationToken).ConfigureAwait(false);
        try
        {
            return await Transport.UnaryAsync(endpoint, method.Path, request, method.Parser, timeout, token, cancellationToken).ConfigureAwait(false);
        }
        catch (GrpcCallFailure failure)
        {
            throw OnFailure(failure, method.Kind, method.Path, endpoint, request, token, fixedEndpoint is null);
        }
    }

    /// <summary>Translates a failure and applies its side effects (endpoint health, auth token).</summary>
    internal EtcdException OnFailure(GrpcCallFailure failure, CallKind kind, string method, EtcdEndpoint endpoint, IMessage? request, string? token, bool moveEndpoint)
    {
        var ex = EtcdClientMetrics.Failed(EtcdErrorTranslator.Translate(failure, kind, method, endpoint.Address, request));
        if (ex.EndpointFailure && moveEndpoint)
        {
            Endpoints.MarkFailed(endpoint);
            Log.EndpointFailed(Logger, endpoint.Address, failure.GrpcMessage ?? failure.StatusCode.ToString());
        }

        if (token is not null && EtcdErrorTranslator.IsInvalidAuthToken(ex))
        {
            Log.TokenInvalid(Logger);
#pragma warning disable CS0420 // a volatile field passed by ref to Interlocked stays volatile
            Interlocked.CompareExchange(ref _token, null, token);
#pragma warning restore CS0420
        }

        return ex;
    }

    /// <summary>The auth token (null without a username), authenticating once when there is none.</summary>
    internal async ValueTask<string?> GetTokenAsync(EtcdEndpoint endpoint, CancellationToken cancellationToken)
    {
        if (_options.Username is null) return null;
        var token = _token;
        if (token is not null) return token;

        await _authLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_token is { } fresh) return fresh;
            var request = new Etcdserverpb.AuthenticateRequest { Name = _options.Username, Password = _options.Password ?? "" };
            try
            {
                var response = await Transport.UnaryAsync(endpoint, EtcdMethods.Authenticate.Path, request, EtcdMethods.Authenticate.Parser,
                    _options.CallTimeout, token: null, cancellationToken).ConfigureAwait(false);
                Log.Authenticated(Logger, _options.Username, endpoint.Address);
                _token = response.Token;
                return response.Token;
            }
            catch (GrpcCallFailure failure)
            {
                throw OnFailure(failure, CallKind.Idempotent, EtcdMethods.Authenticate.Path, endpoint, null, null, moveEndpoint: true);
            }
        }
        finally
        {
            _authLock.Release();
        }
    }

    /// <summary>As <see cref="DisposeAsync"/>, blocking until it is done (for containers disposed synchronously).</summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    /// <summary>Ends watches and lease keep-alives (leases are left to expire) and closes the connections.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        await _watches.DisposeAsync().ConfigureAwait(false);
        // Leases still held stop renewing (not revoked): they expire after their TTL.
        foreach (var lease in _leases.Keys) await lease.StopKeepAliveAsync().ConfigureAwait(false);
        Transport.Dispose();
        _authLock.Dispose();
    }
}
