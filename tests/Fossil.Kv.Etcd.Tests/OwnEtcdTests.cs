using Etcdserverpb;
using Google.Protobuf;
using static Fossil.Kv.Etcd.Tests.TestClients;

namespace Fossil.Kv.Etcd.Tests;

[Collection(OwnEtcdCollection.Name)]
public sealed class OwnEtcdTests(OwnEtcdFixture etcd) : IAsyncLifetime
{
    private readonly string _prefix = TestKeys.UniquePrefix();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (etcd.Member.IsRunning) etcd.Member.Resume();
        await etcd.Member.WaitHealthyAsync(TimeSpan.FromSeconds(30));
    }

    private ByteString K(string name) => B($"{_prefix}/{name}");

    /// <summary>
    /// Opens a tight-timeout client's connection to the running member, so that only the call made while the
    /// member is paused is judged: on a loaded machine a warm-up call can miss a 300 ms timeout too (CI saw it).
    /// </summary>
    private async Task OpenConnectionAsync(EtcdClient client) =>
        await Poll.UntilAsync(async () =>
        {
            try { await client.GetAsync(K("warm")); return true; }
            catch (EtcdUnavailableException) { return false; }
        }, TimeSpan.FromSeconds(30), "the tight-timeout client reached the running member");

    [Fact]
    public async Task write_to_a_paused_member_surfaces_unknown_outcome_with_the_request()
    {
        await using var client = Create([etcd.Member.ClientUrl], o => o.CallTimeout = TimeSpan.FromMilliseconds(500));
        await OpenConnectionAsync(client);
        var txn = new TxnRequest
        {
            Compare = { new Compare { Key = K("ambiguous"), Target = Compare.Types.CompareTarget.Version, Version = 0 } },
            Success = { new RequestOp { RequestPut = new PutRequest { Key = K("ambiguous"), Value = B("sent once") } } },
        };

        etcd.Member.Pause();
        EtcdUnknownOutcomeException error;
        try
        {
            error = await Assert.ThrowsAsync<EtcdUnknownOutcomeException>(() => client.TxnAsync(txn));
        }
        finally
        {
            etcd.Member.Resume();
        }

        Assert.True(error.MayHaveBeenApplied);
        Assert.Same(txn, error.Request);
        Assert.Equal(GrpcStatusCode.DeadlineExceeded, error.StatusCode);

        // Resolve it like the store does: read back. Either it never applied or it applied exactly once.
        var resolved = await client.GetAsync(K("ambiguous"));
        Assert.True(resolved.Kvs.Count == 0 || (resolved.Kvs[0].Value.ToStringUtf8() == "sent once" && resolved.Kvs[0].Version == 1));
    }

    [Fact]
    public async Task read_from_a_paused_member_fails_with_unavailable_after_the_retry_budget()
    {
        await using var client = Create([etcd.Member.ClientUrl], o =>
        {
            o.CallTimeout = TimeSpan.FromMilliseconds(300);
            o.Retry.MaxRetryDuration = TimeSpan.FromSeconds(1);
        });
        await OpenConnectionAsync(client);

        etcd.Member.Pause();
        var started = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            var error = await Assert.ThrowsAsync<EtcdUnavailableException>(() => client.GetAsync(K("x")));
            Assert.False(error.MayHaveBeenApplied);
        }
        finally
        {
            etcd.Member.Resume();
        }

        Assert.InRange(started.Elapsed, TimeSpan.FromMilliseconds(900), TimeSpan.FromSeconds(5));
        await using var patient = Create([etcd.Member.ClientUrl]);
        Assert.Empty((await patient.GetAsync(K("x"))).Kvs);
    }

    [Fact]
    public async Task range_and_watch_at_a_compacted_revision_fail_with_compacted()
    {
        await using var client = Create([etcd.Member.ClientUrl]);
        var old = (await client.PutAsync(K("c"), B("1"))).Header.Revision;
        var now = (await client.PutAsync(K("c"), B("2"))).Header.Revision;
        await client.CompactAsync(new CompactionRequest { Revision = now, Physical = true });

        var rangeError = await Assert.ThrowsAsync<EtcdCompactedException>(() => client.RangeAsync(new RangeRequest { Key = K("c"), Revision = old }));
        Assert.Equal(GrpcStatusCode.OutOfRange, rangeError.StatusCode);

        var watchError = await Assert.ThrowsAsync<EtcdCompactedException>(async () =>
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await foreach (var _ in client.WatchAsync(new WatchCreateRequest { Key = K("c"), StartRevision = old }, cts.Token))
            {
            }
        });
        Assert.Equal(now, watchError.CompactRevision);
    }

    [Fact]
    public async Task nospace_alarm_rejects_writes_with_no_space_until_deactivated()
    {
        await using var client = Create([etcd.Member.ClientUrl]);
        var memberId = (await client.StatusAsync(etcd.Member.ClientUrl.AbsoluteUri)).Header.MemberId;
        var alarm = new AlarmRequest { MemberID = memberId, Alarm = AlarmType.Nospace };

        await client.AlarmAsync(new AlarmRequest { Action = AlarmRequest.Types.AlarmAction.Activate, MemberID = memberId, Alarm = AlarmType.Nospace });
        try
        {
            var put = new PutRequest { Key = K("full"), Value = B("v") };
            var error = await Assert.ThrowsAsync<EtcdNoSpaceException>(() => client.PutAsync(put));
            Assert.True(error.MayHaveBeenApplied); // the write that crosses the quota is applied and still errors
            Assert.Same(put, error.Request);
            Assert.Equal(GrpcStatusCode.ResourceExhausted, error.StatusCode);
            Assert.Empty((await client.GetAsync(K("full"))).Kvs); // reads still work
        }
        finally
        {
            await client.AlarmAsync(new AlarmRequest { Action = AlarmRequest.Types.AlarmAction.Deactivate, MemberID = memberId, Alarm = AlarmType.Nospace });
        }

        await client.PutAsync(K("full"), B("v"));
        Assert.Empty((await client.AlarmAsync(new AlarmRequest())).Alarms);
        _ = alarm;
    }
}

/// <summary>Auth needs a member of its own: enabling it would lock every other test out.</summary>
public sealed class AuthTests
{
    [Fact]
    public async Task client_authenticates_with_username_and_password_and_rejects_a_wrong_password()
    {
        await using var etcd = await EtcdCluster.StartAsync(1);
        var urls = etcd.ClientUrls;
        await EtcdCtl.EnableAuthAsync(urls, "secret");

        await using (var client = Create(urls, o => { o.Username = "root"; o.Password = "secret"; }))
        {
            await client.PutAsync("/auth/k", "v");
            Assert.Equal("v", (await client.GetAsync("/auth/k")).Kvs[0].Value.ToStringUtf8());
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await foreach (var response in client.WatchAsync(new WatchCreateRequest { Key = B("/auth/k"), StartRevision = 1 }, cts.Token))
            {
                if (response.Events.Count > 0) break;
            }
        }

        await using (var anonymous = Create(urls))
        {
            await Assert.ThrowsAnyAsync<EtcdException>(() => anonymous.GetAsync("/auth/k"));
        }

        await using var wrong = Create(urls, o => { o.Username = "root"; o.Password = "wrong"; });
        var error = await Assert.ThrowsAsync<EtcdAuthenticationException>(() => wrong.GetAsync("/auth/k"));
        Assert.Contains("authentication failed", error.Message, StringComparison.Ordinal);
    }
}
