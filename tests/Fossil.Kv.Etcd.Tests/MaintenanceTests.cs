using Etcdserverpb;
using static Fossil.Kv.Etcd.Tests.TestClients;

namespace Fossil.Kv.Etcd.Tests;

[Collection(EtcdCollection.Name)]
public sealed class MaintenanceTests(EtcdFixture etcd) : IAsyncLifetime
{
    private EtcdClient _client = null!;

    public Task InitializeAsync()
    {
        _client = Create(etcd.Endpoints);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _client.DisposeAsync();

    [Fact]
    public async Task status_reports_version_leader_and_db_size()
    {
        var status = await _client.StatusAsync(etcd.Endpoints[0].AbsoluteUri);
        Assert.StartsWith("3.", status.Version, StringComparison.Ordinal);
        Assert.NotEqual(0UL, status.Leader);
        Assert.True(status.DbSize > 0);
    }

    [Fact]
    public async Task member_list_lists_the_members_with_client_urls()
    {
        var members = await _client.MemberListAsync();
        Assert.NotEmpty(members.Members);
        Assert.All(members.Members, m => Assert.NotEmpty(m.ClientURLs));
    }

    [Fact]
    public async Task defragment_and_alarm_get_succeed()
    {
        await _client.DefragmentAsync(etcd.Endpoints[0].AbsoluteUri);
        var alarms = await _client.AlarmAsync(new AlarmRequest { Action = AlarmRequest.Types.AlarmAction.Get });
        Assert.Empty(alarms.Alarms);
    }
}
