using System.CommandLine;
using System.Globalization;
using Fossil.Kv.Cli.Output;
using Fossil.Kv.Segments;
using Spectre.Console;

namespace Fossil.Kv.Cli.Commands;

/// <summary><c>fossil segments list|show</c>: the segment catalog (<c>/meta/segments/</c>).</summary>
internal static class SegmentCommands
{
    public static Command Create(CommandRunner runner)
    {
        var command = new Command("segments", "the segment catalog");
        command.Add(List(runner));
        command.Add(Show(runner));
        return command;
    }

    private static Command List(CommandRunner runner)
    {
        var status = new Option<string?>("--status") { Description = "only segments in this state", HelpName = "status" };
        status.AcceptOnlyFromAmong("active", "sealed", "expiring", "dropped");
        var command = new Command("list", "list segments, oldest first") { status };
        runner.SetAction(command, async context =>
        {
            var store = await context.OpenStoreAsync();
            var wanted = context.ParseResult.GetValue(status);
            var segments = (await store.ListSegmentsAsync(context.CancellationToken))
                .Where(s => wanted is null || JsonOutput.StatusName(s.Status) == wanted)
                .ToList();
            if (context.Json)
            {
                context.WriteJson(writer =>
                {
                    writer.WriteStartObject();
                    writer.WriteStartArray("segments");
                    foreach (var segment in segments) JsonOutput.WriteSegment(writer, segment);
                    writer.WriteEndArray();
                    writer.WriteEndObject();
                });
                return;
            }
            var table = ConsoleOutput.NewTable("segment", "partition", "status", "window start", "window end", "events", "size", "sealed at");
            foreach (var s in segments)
            {
                table.AddTextRow(s.SegmentId, Invariant(s.Partition), JsonOutput.StatusName(s.Status), ConsoleOutput.Time(s.TimeRange.Start),
                    ConsoleOutput.Time(s.TimeRange.End), Invariant(s.DocumentCount), ConsoleOutput.Bytes(s.SizeBytes),
                    s.SealedAt is { } sealedAt ? ConsoleOutput.Time(sealedAt) : "");
            }
            context.Console.Write(table);
            context.Console.WriteLine($"{segments.Count} segment(s)");
        });
        return command;
    }

    private static Command Show(CommandRunner runner)
    {
        var sid = new Argument<string>("sid") { Description = "segment id, e.g. 20261122T000000Z-p03-g000" };
        var command = new Command("show", "one segment's catalog record") { sid };
        runner.SetAction(command, async context =>
        {
            var store = await context.OpenStoreAsync();
            var segment = await store.GetSegmentAsync(context.ParseResult.GetValue(sid)!, context.CancellationToken);
            if (context.Json)
            {
                context.WriteJson(writer => JsonOutput.WriteSegment(writer, segment));
                return;
            }
            context.Console.Write(ConsoleOutput.Properties(
            [
                ("segment", segment.SegmentId),
                ("partition", Invariant(segment.Partition)),
                ("generation", Invariant(segment.Generation)),
                ("status", JsonOutput.StatusName(segment.Status)),
                ("window", $"{ConsoleOutput.Time(segment.TimeRange.Start)} .. {ConsoleOutput.Time(segment.TimeRange.End)}"),
                ("events", Invariant(segment.DocumentCount)),
                ("entities", Invariant(segment.EntityCount)),
                ("vectors", Invariant(segment.VectorCount)),
                ("size", $"{ConsoleOutput.Bytes(segment.SizeBytes)} ({Invariant(segment.SizeBytes)} bytes)"),
                ("created at", ConsoleOutput.Time(segment.CreatedAt)),
                ("sealed at", segment.SealedAt is { } sealedAt ? ConsoleOutput.Time(sealedAt) : "-"),
                ("archived at", segment.ArchivedAt ?? "-"),
            ]));
        });
        return command;
    }

    private static string Invariant(long value) => value.ToString(CultureInfo.InvariantCulture);
}
