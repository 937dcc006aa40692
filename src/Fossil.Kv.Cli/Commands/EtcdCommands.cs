using System.CommandLine;
using System.Globalization;
using Etcdserverpb;
using Fossil.Kv.Cli.Output;
using Fossil.Kv.Etcd;
using Google.Protobuf;
using Spectre.Console;

namespace Fossil.Kv.Cli.Commands;

/// <summary><c>fossil etcd status|compact|defrag|disarm</c>: etcd maintenance, cluster-wide (not limited to --prefix).</summary>
internal static class EtcdCommands
{
    public static Command Create(CommandRunner runner)
    {
        var command = new Command("etcd", "etcd cluster maintenance");
        command.Add(Status(runner));
        command.Add(Compact(runner));
        command.Add(Defrag(runner));
        command.Add(Disarm(runner));
        return command;
    }

    private static Option<bool> YesOption() => new("--yes", "-y") { Description = "do it without asking" };

    private static Command Status(CommandRunner runner)
    {
        var command = new Command("status", "members, leader, versions, database sizes, raft state and alarms");
        runner.SetAction(command, async context =>
        {
            var cluster = await ClusterStatus.ReadAsync(context.Etcd, context.CancellationToken);
            if (context.Json) context.WriteJson(cluster.WriteJson);
            else cluster.Render(context.Console);
        });
        return command;
    }

    private static Command Compact(CommandRunner runner)
    {
        var revision = new Option<long?>("--revision") { Description = "compact history before this revision (default: the current revision)", HelpName = "r" };
        var physical = new Option<bool>("--physical") { Description = "wait until the compaction is physically applied" };
        var yes = YesOption();
        var command = new Command("compact", "discard etcd's key history before a revision (whole cluster; destructive)") { revision, physical, yes };
        runner.SetAction(command, async context =>
        {
            var result = context.ParseResult;
            var current = (await context.Etcd.GetAsync(ByteString.CopyFrom(context.Keys.Config), context.CancellationToken)).Header.Revision;
            var target = result.GetValue(revision) ?? current;
            if (target < 1) throw CliException.Invalid($"--revision must be 1 or more (got {target}).");
            if (target > current) throw CliException.Invalid($"--revision {target} is in the future; the current revision is {current}.");
            await context.ConfirmAsync(
                $"compact etcd at {string.Join(",", context.Endpoints)} before revision {target} (older versions of every key become unreadable)",
                result.GetValue(yes));
            // Without --revision the ask is "no history before now": when nothing was written since the last compaction
            // that already holds, and a second run (from cron, say) succeeds. An explicit revision that is gone fails, as
            // etcdctl does: the operator named a point in history that no longer exists.
            var alreadyCompacted = false;
            try
            {
                await context.Etcd.CompactAsync(new CompactionRequest { Revision = target, Physical = result.GetValue(physical) }, context.CancellationToken);
            }
            catch (EtcdCompactedException) when (result.GetValue(revision) is null)
            {
                alreadyCompacted = true;
            }
            if (context.Json)
            {
                context.WriteJson(writer =>
                {
                    writer.WriteStartObject();
                    writer.WriteNumber("revision", target);
                    writer.WriteNumber("current_revision", current);
                    writer.WriteBoolean("physical", result.GetValue(physical));
                    writer.WriteBoolean("already_compacted", alreadyCompacted);
                    writer.WriteEndObject();
                });
                return;
            }
            context.Console.WriteLine(alreadyCompacted
                ? $"etcd history before revision {target} was already compacted; nothing to do (current revision {current})"
                : $"compacted etcd history before revision {target} (current revision {current})");
        });
        return command;
    }

    private sealed record DefragResult(MemberStatus Member, long? SizeBefore, long? SizeAfter, long? InUseAfter, string? Error);

    private static Command Defrag(CommandRunner runner)
    {
        var yes = YesOption();
        var command = new Command("defrag", "defragment every member's database, one at a time (each member blocks while it runs)") { yes };
        runner.SetAction(command, async context =>
        {
            var cluster = await ClusterStatus.ReadAsync(context.Etcd, context.CancellationToken);
            var members = cluster.Members.Where(m => m.Endpoint is not null).ToList();
            await context.ConfirmAsync(
                $"defragment {members.Count} etcd member(s) at {string.Join(", ", members.Select(m => m.Endpoint))} (each blocks reads and writes while it runs)",
                context.ParseResult.GetValue(yes));
            var results = new List<DefragResult>();
            if (!context.Json && context.Console.Profile.Capabilities.Interactive)
            {
                await context.Console.Progress().StartAsync(async progress =>
                {
                    var task = progress.AddTask("defragmenting", maxValue: members.Count);
                    foreach (var member in members)
                    {
                        task.Description = $"defragmenting {member.Member.Name} ({member.Endpoint})";
                        results.Add(await DefragmentAsync(context, member));
                        task.Increment(1);
                    }
                    task.Description = "defragmented";
                });
            }
            else
            {
                foreach (var member in members)
                {
                    if (!context.Json) context.Console.WriteLine($"defragmenting {member.Member.Name} ({member.Endpoint}) ...");
                    results.Add(await DefragmentAsync(context, member));
                }
            }
            if (context.Json)
            {
                context.WriteJson(writer =>
                {
                    writer.WriteStartObject();
                    writer.WriteStartArray("members");
                    foreach (var r in results)
                    {
                        writer.WriteStartObject();
                        writer.WriteString("id", r.Member.Id);
                        writer.WriteString("name", r.Member.Member.Name);
                        writer.WriteString("endpoint", r.Member.Endpoint);
                        WriteNumberOrNull(writer, "db_size_before", r.SizeBefore);
                        WriteNumberOrNull(writer, "db_size_after", r.SizeAfter);
                        WriteNumberOrNull(writer, "db_size_in_use", r.InUseAfter);
                        writer.WriteBoolean("ok", r.Error is null);
                        if (r.Error is null) writer.WriteNull("error");
                        else writer.WriteString("error", r.Error);
                        writer.WriteEndObject();
                    }
                    writer.WriteEndArray();
                    writer.WriteEndObject();
                });
            }
            else
            {
                var table = ConsoleOutput.NewTable("member", "endpoint", "db size before", "after", "in use", "result");
                foreach (var r in results)
                {
                    table.AddTextRow(r.Member.Member.Name, r.Member.Endpoint, Size(r.SizeBefore), Size(r.SizeAfter), Size(r.InUseAfter), r.Error ?? "ok");
                }
                context.Console.Write(table);
            }
            var failed = results.Where(r => r.Error is not null).ToList();
            if (failed.Count > 0)
            {
                throw new CliException(ExitCodes.Unavailable,
                    $"defragmentation failed on {failed.Count} of {results.Count} member(s): " + string.Join("; ", failed.Select(f => $"{f.Member.Endpoint}: {f.Error}")));
            }
        });
        return command;
    }

    private static async Task<DefragResult> DefragmentAsync(CliContext context, MemberStatus member)
    {
        var endpoint = member.Endpoint!;
        try
        {
            await context.Etcd.DefragmentAsync(endpoint, context.CancellationToken);
            var after = await context.Etcd.StatusAsync(endpoint, context.CancellationToken);
            return new DefragResult(member, member.Status?.DbSize, after.DbSize, after.DbSizeInUse, null);
        }
        catch (EtcdException e)
        {
            return new DefragResult(member, member.Status?.DbSize, null, null, e.Message);
        }
    }

    private static Command Disarm(CommandRunner runner)
    {
        var command = new Command("disarm", "clear NOSPACE alarms (after compact and defrag freed space), so etcd takes writes again");
        runner.SetAction(command, async context =>
        {
            var get = new AlarmRequest { Action = AlarmRequest.Types.AlarmAction.Get };
            var alarms = (await context.Etcd.AlarmAsync(get, context.CancellationToken)).Alarms.ToList();
            var disarmed = new List<AlarmMember>();
            foreach (var alarm in alarms.Where(a => a.Alarm == AlarmType.Nospace))
            {
                var deactivate = new AlarmRequest { Action = AlarmRequest.Types.AlarmAction.Deactivate, MemberID = alarm.MemberID, Alarm = AlarmType.Nospace };
                await context.Etcd.AlarmAsync(deactivate, context.CancellationToken);
                disarmed.Add(alarm);
            }
            var remaining = (await context.Etcd.AlarmAsync(get, context.CancellationToken)).Alarms.ToList();
            if (context.Json)
            {
                context.WriteJson(writer =>
                {
                    writer.WriteStartObject();
                    ClusterStatus.WriteAlarms(writer, "disarmed", disarmed);
                    ClusterStatus.WriteAlarms(writer, "remaining", remaining);
                    writer.WriteEndObject();
                });
            }
            else
            {
                context.Console.WriteLine(disarmed.Count == 0
                    ? "no NOSPACE alarm was raised; nothing to disarm"
                    : $"disarmed NOSPACE on member(s) {string.Join(", ", disarmed.Select(a => MemberStatus.Hex(a.MemberID)))}");
                if (remaining.Count > 0)
                    context.Console.WriteLine("still raised: " + string.Join(", ", remaining.Select(a => $"{ClusterStatus.AlarmName(a.Alarm)} on member {MemberStatus.Hex(a.MemberID)}")));
            }
            if (remaining.Any(a => a.Alarm == AlarmType.Nospace))
                throw new CliException(ExitCodes.Failure, "the NOSPACE alarm is raised again: etcd is still over its quota; compact and defragment first.");
        });
        return command;
    }

    private static string Size(long? bytes) => bytes is { } b ? ConsoleOutput.Bytes(b) : "-";

    private static void WriteNumberOrNull(System.Text.Json.Utf8JsonWriter writer, string name, long? value)
    {
        if (value is { } v) writer.WriteNumber(name, v);
        else writer.WriteNull(name);
    }
}
