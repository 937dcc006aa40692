using System.Globalization;
using System.Text.Json;
using Etcdserverpb;
using Fossil.Kv.Cli.Output;
using Fossil.Kv.Etcd;
using Spectre.Console;

namespace Fossil.Kv.Cli.Commands;

/// <summary>One etcd member as <c>MemberList</c> and its own <c>Status</c> describe it.</summary>
internal sealed record MemberStatus(Member Member, string? Endpoint, StatusResponse? Status, string? Error)
{
    public string Id => Hex(Member.ID);

    public static string Hex(ulong id) => id.ToString("x", CultureInfo.InvariantCulture);
}

/// <summary>The etcd cluster: members, leader, sizes and alarms (shared by <c>status</c> and <c>etcd status</c>).</summary>
internal sealed record ClusterStatus(ulong ClusterId, long Revision, IReadOnlyList<MemberStatus> Members, IReadOnlyList<AlarmMember> Alarms)
{
    public ulong? Leader => Members.Select(m => m.Status?.Leader).FirstOrDefault(l => l is > 0);

    public static async Task<ClusterStatus> ReadAsync(EtcdClient etcd, CancellationToken cancellationToken)
    {
        var list = await etcd.MemberListAsync(cancellationToken);
        var members = await Task.WhenAll(list.Members.Select(m => ReadMemberAsync(etcd, m, cancellationToken)));
        var alarms = await etcd.AlarmAsync(new AlarmRequest { Action = AlarmRequest.Types.AlarmAction.Get }, cancellationToken);
        // MemberList answers from the member's cluster view without a revision; Status headers carry it.
        var revision = members.Select(m => m.Status?.Header?.Revision ?? 0).Append(alarms.Header?.Revision ?? 0).Max();
        return new ClusterStatus(list.Header.ClusterId, revision, members, [.. alarms.Alarms]);
    }

    /// <summary>A member that does not answer is reported, not fatal: status is for looking at a sick cluster.</summary>
    private static async Task<MemberStatus> ReadMemberAsync(EtcdClient etcd, Member member, CancellationToken cancellationToken)
    {
        var endpoint = member.ClientURLs.FirstOrDefault();
        if (endpoint is null) return new MemberStatus(member, null, null, "member has not started (no client URL)");
        try
        {
            return new MemberStatus(member, endpoint, await etcd.StatusAsync(endpoint, cancellationToken), null);
        }
        catch (EtcdException e)
        {
            return new MemberStatus(member, endpoint, null, e.Message);
        }
    }

    public static string AlarmName(AlarmType alarm) => alarm.ToString().ToLowerInvariant();

    public void WriteJson(Utf8JsonWriter writer)
    {
        writer.WriteStartObject();
        writer.WriteString("cluster_id", MemberStatus.Hex(ClusterId));
        writer.WriteNumber("revision", Revision);
        if (Leader is { } leader) writer.WriteString("leader", MemberStatus.Hex(leader));
        else writer.WriteNull("leader");
        writer.WriteStartArray("members");
        foreach (var m in Members)
        {
            writer.WriteStartObject();
            writer.WriteString("id", m.Id);
            writer.WriteString("name", m.Member.Name);
            writer.WriteStartArray("client_urls");
            foreach (var url in m.Member.ClientURLs) writer.WriteStringValue(url);
            writer.WriteEndArray();
            writer.WriteBoolean("is_leader", Leader == m.Member.ID);
            writer.WriteBoolean("is_learner", m.Member.IsLearner);
            if (m.Status is { } s)
            {
                writer.WriteString("version", s.Version);
                writer.WriteNumber("db_size", s.DbSize);
                writer.WriteNumber("db_size_in_use", s.DbSizeInUse);
                writer.WriteNumber("raft_term", s.RaftTerm);
                writer.WriteNumber("raft_index", s.RaftIndex);
                writer.WriteStartArray("errors");
                foreach (var error in s.Errors) writer.WriteStringValue(error);
                writer.WriteEndArray();
            }
            if (m.Error is not null) writer.WriteString("error", m.Error);
            else writer.WriteNull("error");
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
        WriteAlarms(writer, "alarms", Alarms);
        writer.WriteEndObject();
    }

    public static void WriteAlarms(Utf8JsonWriter writer, string name, IEnumerable<AlarmMember> alarms)
    {
        writer.WriteStartArray(name);
        foreach (var alarm in alarms)
        {
            writer.WriteStartObject();
            writer.WriteString("member_id", MemberStatus.Hex(alarm.MemberID));
            writer.WriteString("alarm", AlarmName(alarm.Alarm));
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
    }

    public void Render(IAnsiConsole console)
    {
        var table = ConsoleOutput.NewTable("member", "name", "endpoint", "leader", "version", "db size", "in use", "raft term", "raft index", "problem");
        foreach (var m in Members)
        {
            var s = m.Status;
            table.AddTextRow(
                m.Id, m.Member.Name, m.Endpoint ?? "-", Leader == m.Member.ID ? "yes" : m.Member.IsLearner ? "learner" : "",
                s?.Version, s is null ? null : ConsoleOutput.Bytes(s.DbSize), s is null ? null : ConsoleOutput.Bytes(s.DbSizeInUse),
                s?.RaftTerm.ToString(CultureInfo.InvariantCulture), s?.RaftIndex.ToString(CultureInfo.InvariantCulture),
                m.Error ?? (s is { Errors.Count: > 0 } ? string.Join("; ", s.Errors) : ""));
        }
        table.Title = new TableTitle($"etcd cluster {MemberStatus.Hex(ClusterId)} at revision {Revision}");
        console.Write(table);
        console.WriteLine(Alarms.Count == 0
            ? "alarms: none"
            : "alarms: " + string.Join(", ", Alarms.Select(a => $"{AlarmName(a.Alarm)} on member {MemberStatus.Hex(a.MemberID)}")));
        if (Leader is null) console.WriteLine("warning: no member reports a leader");
    }
}
