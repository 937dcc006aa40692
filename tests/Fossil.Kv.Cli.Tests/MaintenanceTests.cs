using Etcdserverpb;
using Fossil.Kv.Etcd;

namespace Fossil.Kv.Cli.Tests;

/// <summary>compact, defrag and disarm change the whole etcd: they run on an etcd of their own.</summary>
[Collection(OwnEtcdCollection.Name)]
public sealed class MaintenanceTests(OwnEtcdFixture etcd)
{
    private OwnEtcdFixture Etcd { get; } = etcd;

    private Cli NewCli([System.Runtime.CompilerServices.CallerMemberName] string test = "") => new(Etcd.Endpoints, TestKeys.UniquePrefix(test));

    [Fact]
    public async Task compact_with_confirmation_compacts_at_the_current_revision()
    {
        var cli = NewCli();
        await cli.AppendAsync("s");
        var environment = new CliEnvironment { GetVariable = _ => null, CanPrompt = true, Input = new StringReader("y\n") };

        var json = (await cli.RunAsync(environment, "etcd", "compact", "--json")).Json;

        var revision = json.GetProperty("revision").GetInt64();
        Assert.Equal(json.GetProperty("current_revision").GetInt64(), revision);
        // History before it is gone: reading at an older revision fails as compacted.
        await using var client = new EtcdClient(cli.Endpoints);
        await Assert.ThrowsAsync<EtcdCompactedException>(() =>
            client.RangeAsync(new RangeRequest { Key = Google.Protobuf.ByteString.CopyFromUtf8("/x"), Revision = revision - 1 }));
        // The store reads on.
        Assert.Equal(1, (await cli.RunAsync("streams", "read", "s", "--json")).Json.GetProperty("events").GetArrayLength());
    }

    [Fact]
    public async Task compact_at_an_explicit_revision_with_yes()
    {
        var cli = NewCli();
        await cli.AppendAsync("s");
        var current = (await cli.RunAsync("etcd", "status", "--json")).Json.GetProperty("revision").GetInt64();

        var json = (await cli.RunAsync("etcd", "compact", "--revision", (current - 1).ToString(System.Globalization.CultureInfo.InvariantCulture), "--yes", "--physical", "--json")).Json;

        Assert.Equal(current - 1, json.GetProperty("revision").GetInt64());
        Assert.True(json.GetProperty("physical").GetBoolean());
    }

    [Fact]
    public async Task compact_at_the_current_revision_twice_succeeds_and_says_there_was_nothing_to_do()
    {
        var cli = NewCli();
        await cli.AppendAsync("s");
        var first = (await cli.RunAsync("etcd", "compact", "--yes", "--json")).Json;

        // Nothing written in between: the current revision is the one just compacted at.
        var again = await cli.RunAsync("etcd", "compact", "--yes");

        Assert.False(first.GetProperty("already_compacted").GetBoolean());
        Assert.Equal(ExitCodes.Success, again.ExitCode);
        Assert.Contains("already compacted", again.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task compact_rejects_a_future_or_compacted_revision()
    {
        var cli = NewCli();
        await cli.RunAsync("etcd", "compact", "--yes");

        var future = await cli.RunAsync("etcd", "compact", "--revision", "999999999", "--yes");
        var past = await cli.RunAsync("etcd", "compact", "--revision", "1", "--yes");

        Assert.Contains("future", future.AssertFails(ExitCodes.Failure), StringComparison.Ordinal);
        Assert.Contains("compacted", past.AssertFails(ExitCodes.Failure), StringComparison.Ordinal);
    }

    [Fact]
    public async Task defrag_defragments_every_member()
    {
        var json = (await NewCli().RunAsync("etcd", "defrag", "--yes", "--json")).Json;

        var members = json.GetProperty("members").EnumerateArray().ToList();
        Assert.Equal(Etcd.Endpoints.Count, members.Count);
        Assert.All(members, m =>
        {
            Assert.True(m.GetProperty("ok").GetBoolean());
            Assert.True(m.GetProperty("db_size_after").GetInt64() > 0);
        });
    }

    [Fact]
    public async Task disarm_with_no_alarm_does_nothing()
    {
        var json = (await NewCli().RunAsync("etcd", "disarm", "--json")).Json;

        Assert.Equal(0, json.GetProperty("disarmed").GetArrayLength());
        Assert.Equal(0, json.GetProperty("remaining").GetArrayLength());
    }

    [Fact]
    public async Task disarm_clears_a_nospace_alarm()
    {
        var cli = NewCli();
        await using var client = new EtcdClient(cli.Endpoints);
        var member = (await client.MemberListAsync()).Members[0];
        var raise = new AlarmRequest { Action = AlarmRequest.Types.AlarmAction.Activate, MemberID = member.ID, Alarm = AlarmType.Nospace };
        await client.AlarmAsync(raise);
        try
        {
            var status = (await cli.RunAsync("status", "--json")).Json;
            var refused = await cli.RunAsync("streams", "append", "s", "--type", "T");
            var disarm = (await cli.RunAsync("etcd", "disarm", "--json")).Json;
            var appended = await cli.RunAsync("streams", "append", "s", "--type", "T", "--json");

            Assert.Equal("nospace", Assert.Single(status.GetProperty("etcd").GetProperty("alarms").EnumerateArray()).GetProperty("alarm").GetString());
            Assert.Contains("NOSPACE", refused.AssertFails(ExitCodes.Failure), StringComparison.Ordinal);
            Assert.Equal("nospace", Assert.Single(disarm.GetProperty("disarmed").EnumerateArray()).GetProperty("alarm").GetString());
            Assert.Equal(0, disarm.GetProperty("remaining").GetArrayLength());
            Assert.Equal(0, appended.Json.GetProperty("firstVersion").GetInt64());
        }
        finally
        {
            // Leave the shared member writable for the next test whatever happened.
            await client.AlarmAsync(new AlarmRequest { Action = AlarmRequest.Types.AlarmAction.Deactivate, MemberID = member.ID, Alarm = AlarmType.Nospace });
        }
    }
}
