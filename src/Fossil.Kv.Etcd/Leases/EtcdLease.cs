using System.Diagnostics;
using Etcdserverpb;
using Fossil.Kv.Etcd.Transport;

namespace Fossil.Kv.Etcd;

/// <summary>
/// A lease kept alive in the background over a LeaseKeepAlive stream, renewed every TTL/3. The loop
/// survives reconnects and member loss (it moves to another member). <see cref="Lost"/> is canceled
/// when etcd reports the lease gone (TTL 0) or when it could not be renewed before it expired; a
/// lost lease stays lost. Holding a lease is not mutual exclusion: fence work with a compare.
/// </summary>
public sealed class EtcdLease : IAsyncDisposable
{
    private readonly EtcdClient _client;
    private readonly CancellationTokenSource _stop = new();
    private readonly CancellationTokenSource _lost = new();
    private readonly Task _loop;
    private long _expiresAt;
    private int _disposed;

    internal EtcdLease(EtcdClient client, long id, long ttlSeconds)
    {
        _client = client;
        Id = id;
        Ttl = TimeSpan.FromSeconds(Math.Max(1, ttlSeconds));
        _expiresAt = Stopwatch.GetTimestamp() + Ticks(Ttl);
        _loop = Task.Run(KeepAliveLoopAsync);
    }

    /// <summary>The lease's etcd id, to attach keys to it (<c>PutRequest.Lease</c>).</summary>
    public long Id { get; }

    /// <summary>The TTL etcd granted.</summary>
    public TimeSpan Ttl { get; }

    /// <summary>Canceled when the lease is known or presumed gone.</summary>
    public CancellationToken Lost => _lost.Token;

    /// <summary>Whether <see cref="Lost"/> has fired; once true it stays true.</summary>
    public bool IsLost => _lost.IsCancellationRequested;

    /// <summary>Why the lease was lost (<see cref="EtcdLeaseNotFoundException"/> when etcd said so).</summary>
    public Exception? LostReason { get; private set; }

    /// <summary>Time until the lease expires if no further renewal succeeds.</summary>
    public TimeSpan Remaining => TimeSpan.FromSeconds(Math.Max(0, (Volatile.Read(ref _expiresAt) - Stopwatch.GetTimestamp()) / (double)Stopwatch.Frequency));

    private static long Ticks(TimeSpan t) => (long)(t.TotalSeconds * Stopwatch.Frequency);

    private async Task KeepAliveLoopAsync()
    {
        var stop = _stop.Token;
        var interval = TimeSpan.FromMilliseconds(Math.Max(500, Ttl.TotalMilliseconds / 3));
        var failures = 0;
        while (!stop.IsCancellationRequested)
        {
            var endpoint = _client.Endpoints.Current;
            GrpcDuplexCall? call = null;
            string? token = null;
            try
            {
                token = await _client.GetTokenAsync(endpoint, stop).ConfigureAwait(false);
                call = _client.Transport.OpenDuplex(endpoint, EtcdMethods.LeaseKeepAlive, token, requireLeader: true);
                while (!stop.IsCancellationRequested)
                {
                    var sentAt = Stopwatch.GetTimestamp();
                    await call.WriteAsync(new LeaseKeepAliveRequest { ID = Id }, stop).ConfigureAwait(false);

                    // A member that does not answer within an interval (at least 2 s: a member waiting
                    // out a leader election answers late) or before expiry is given up on.
                    var patience = interval > TimeSpan.FromSeconds(2) ? interval : TimeSpan.FromSeconds(2);
                    var wait = TimeSpan.FromTicks(Math.Min(patience.Ticks, Math.Max(Remaining.Ticks, TimeSpan.FromMilliseconds(100).Ticks)));
                    using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stop);
                    timeout.CancelAfter(wait);
                    LeaseKeepAliveResponse? response;
                    try
                    {
                        response = await call.ReadAsync(LeaseKeepAliveResponse.Parser, timeout.Token).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException) when (!stop.IsCancellationRequested)
                    {
                        throw new GrpcCallFailure(GrpcStatusCode.DeadlineExceeded, "keep-alive response timed out", requestSent: true);
                    }

                    if (response is null) throw new GrpcCallFailure(GrpcStatusCode.Unavailable, "keep-alive stream ended", requestSent: true);
                    if (response.TTL <= 0)
                    {
                        Lose(new EtcdLeaseNotFoundException($"Lease {Id} is gone (expired or revoked).", GrpcStatusCode.NotFound, EtcdErrorTranslator.LeaseNotFound));
                        return;
                    }

                    Volatile.Write(ref _expiresAt, sentAt + Ticks(TimeSpan.FromSeconds(response.TTL)));
                    failures = 0;
                    await Task.Delay(interval, stop).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                Log.KeepAliveFailed(_client.Logger, Id, endpoint.Address, e);
                if (e is GrpcCallFailure failure)
                    _client.OnFailure(failure, CallKind.Idempotent, EtcdMethods.LeaseKeepAlive, endpoint, null, token, moveEndpoint: true);
                else if (e is EtcdException { EndpointFailure: true })
                    _client.Endpoints.MarkFailed(endpoint);
                failures++;
            }
            finally
            {
                if (call is not null) await call.DisposeAsync().ConfigureAwait(false);
            }

            if (Remaining <= TimeSpan.Zero)
            {
                Lose(new EtcdException($"Lease {Id} could not be renewed before it expired.", GrpcStatusCode.Unavailable, null, null));
                return;
            }

            try
            {
                var backoff = TimeSpan.FromMilliseconds(Math.Min(1000, 50 * Math.Pow(2, Math.Min(failures, 10))) * (0.5 + (Random.Shared.NextDouble() / 2)));
                await Task.Delay(backoff < Remaining ? backoff : Remaining, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    private void Lose(Exception reason)
    {
        LostReason = reason;
        Log.LeaseLost(_client.Logger, Id, reason.Message);
        _lost.Cancel();
    }

    /// <summary>Stops renewing without revoking: the lease expires after its TTL.</summary>
    public async Task StopKeepAliveAsync()
    {
        if (Volatile.Read(ref _disposed) != 0 && _loop.IsCompleted) return;
        if (!_stop.IsCancellationRequested) await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
    }

    /// <summary>Stops renewing and revokes the lease (best effort; its keys are deleted at once).</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        await StopKeepAliveAsync().ConfigureAwait(false);
        _client.Forget(this);
        if (!IsLost)
        {
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await _client.RevokeLeaseAsync(Id, timeout.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is EtcdException or OperationCanceledException or ObjectDisposedException)
            {
                // Not revoked: it expires after its TTL.
            }
        }

        _stop.Dispose();
        _lost.Dispose();
    }
}
