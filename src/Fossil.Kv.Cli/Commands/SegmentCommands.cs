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
        command.Add(Seal(runner));
        command.Add(Evict(runner));
        command.Add(Materialize(runner));
        command.Add(Verify(runner));
        return command;
    }

    private static Argument<string> SegmentArgument() => new("sid") { Description = "segment id, e.g. 20261122T000000Z-p03-g000" };

    /// <summary>The segment argument; a malformed id is invalid input (exit 1), not a missing segment (exit 3).</summary>
    private static string SegmentIdOf(CliContext context, Argument<string> argument)
    {
        var id = context.ParseResult.GetValue(argument)!;
        return SegmentId.TryParse(id, out _) ? id : throw CliException.Invalid($"'{id}' is not a segment id (expected e.g. 20261122T000000Z-p03-g000).");
    }

    private static Option<string> DirectoryOption() => new("--dir") { Description = "segment.directory of this machine", DefaultValueFactory = _ => "./data/segments" };

    private static Command Seal(CommandRunner runner)
    {
        var sid = SegmentArgument();
        var command = new Command("seal", "seal a segment now (an active one's partition moves on to a new segment)") { sid };
        runner.SetAction(command, async context =>
        {
            var id = SegmentIdOf(context, sid);
            var store = await context.OpenStoreAsync();
            var segment = await store.SealSegmentAsync(id, context.CancellationToken);
            if (context.Json) context.WriteJson(writer => JsonOutput.WriteSegment(writer, segment));
            else context.Console.WriteLine($"{segment.SegmentId} is {JsonOutput.StatusName(segment.Status)}");
        });
        return command;
    }

    private static Command Evict(CommandRunner runner)
    {
        var sid = SegmentArgument();
        var yes = new Option<bool>("--yes", "-y") { Description = "do it without asking" };
        var dir = DirectoryOption();
        var command = new Command("evict", "drop a sealed segment now: its events, keys, files under --dir and archived copy (destructive)") { sid, yes, dir };
        runner.SetAction(command, async context =>
        {
            // The files this machine materialized (with --dir, as materialize and verify take it) go with the segment.
            context.SegmentDirectory = context.ParseResult.GetValue(dir)!;
            var id = SegmentIdOf(context, sid);
            var store = await context.OpenStoreAsync();
            // An unknown segment is bad input (SPEC §6): named, exit 3, before anything is asked or dropped.
            await store.GetSegmentAsync(id, context.CancellationToken);
            await context.ConfirmAsync($"drop segment {id} and every event in it", context.ParseResult.GetValue(yes));
            // Under etcd's NOSPACE alarm only the segment's events can be deleted; evicting again after recovery finishes.
            var dropped = await store.EvictSegmentAsync(id, context.CancellationToken);
            var status = dropped ? "dropped" : "events_deleted";
            if (context.Json) context.WriteJson(writer => { writer.WriteStartObject(); writer.WriteString("segment_id", id); writer.WriteString("status", status); writer.WriteEndObject(); });
            else context.Console.WriteLine(dropped ? $"{id} dropped" : $"{id}: etcd is over its quota, so only its events were deleted; evict it again after compact, defrag and disarm");
        });
        return command;
    }

    private static Command Materialize(CommandRunner runner)
    {
        var sid = SegmentArgument();
        var dir = DirectoryOption();
        var command = new Command("materialize", "build a sealed segment's files on this machine (verified, then renamed into place)") { sid, dir };
        runner.SetAction(command, async context =>
        {
            context.SegmentDirectory = context.ParseResult.GetValue(dir)!;
            var id = SegmentIdOf(context, sid);
            var store = await context.OpenStoreAsync();
            bool built;
            if (!context.Json && context.Console.Profile.Capabilities.Interactive)
            {
                var events = (await store.GetSegmentAsync(id, context.CancellationToken)).DocumentCount;
                built = false;
                await context.Console.Progress().StartAsync(async progress =>
                {
                    var task = progress.AddTask($"materializing {id}", maxValue: Math.Max(1, events));
                    built = await store.MaterializeSegmentAsync(id, new BarProgress(task), context.CancellationToken);
                    task.Value = task.MaxValue;
                });
            }
            else
            {
                built = await store.MaterializeSegmentAsync(id, context.CancellationToken);
            }
            var path = Path.Combine(Path.GetFullPath(context.SegmentDirectory), id);
            if (context.Json) context.WriteJson(writer => { writer.WriteStartObject(); writer.WriteString("segment_id", id); writer.WriteBoolean("built", built); writer.WriteString("directory", path); writer.WriteEndObject(); });
            else context.Console.WriteLine(built ? $"{id} materialized in {path}" : $"{id} was already materialized in {path}");
        });
        return command;
    }

    private static Command Verify(CommandRunner runner)
    {
        var sid = SegmentArgument();
        var dir = DirectoryOption();
        var command = new Command("verify", "check a materialized segment's files: headers, checksums and structure") { sid, dir };
        runner.SetAction(command, context =>
        {
            var id = SegmentIdOf(context, sid);
            var path = Path.Combine(Path.GetFullPath(context.ParseResult.GetValue(dir)!), id);
            if (!Directory.Exists(path)) throw CliException.NotFound($"segment {id} is not materialized in {Path.GetDirectoryName(path)}");
            var ok = Fossil.Kv.SegmentFiles.SegmentFileSet.TryVerify(path, out var problem);
            if (context.Json) context.WriteJson(writer => { writer.WriteStartObject(); writer.WriteString("segment_id", id); writer.WriteBoolean("ok", ok); if (problem is not null) writer.WriteString("problem", problem.Message); writer.WriteEndObject(); });
            else if (ok) context.Console.WriteLine($"{id}: ok");
            if (!ok) throw CliException.Invalid($"segment {id} failed verification: {problem!.Message}");
            return Task.CompletedTask;
        });
        return command;
    }

    private static Command List(CommandRunner runner)
    {
        var status = new Option<string?>("--status") { Description = "only segments in this state: active, sealed or expiring", HelpName = "status" };
        // "dropped" parses (it is a status) but is refused with the reason: a dropped segment's record leaves the catalog.
        status.AcceptOnlyFromAmong("active", "sealed", "expiring", "dropped");
        var dir = DirectoryOption();
        var command = new Command("list", "list segments, oldest first, and whether this machine has each one materialized under --dir") { status, dir };
        runner.SetAction(command, async context =>
        {
            var wanted = context.ParseResult.GetValue(status);
            if (wanted == "dropped")
            {
                throw CliException.Invalid(
                    "--status dropped lists nothing: evicting a segment deletes its record from the catalog; the statuses that can be listed are active, sealed and expiring.");
            }
            context.SegmentDirectory = context.ParseResult.GetValue(dir)!;
            var store = await context.OpenStoreAsync();
            // As GET /segments answers: counts this machine's files know (entity_count), and whether it has the files.
            var segments = (await store.ListSegmentsAsync(context.CancellationToken))
                .Where(s => wanted is null || JsonOutput.StatusName(s.Status) == wanted)
                .Select(s => (Record: store.WithLocalCounts(s), Materialized: store.IsMaterialized(s.SegmentId)))
                .ToList();
            if (context.Json)
            {
                context.WriteJson(writer =>
                {
                    writer.WriteStartObject();
                    writer.WriteStartArray("segments");
                    foreach (var (segment, materialized) in segments) JsonOutput.WriteSegment(writer, segment, materialized);
                    writer.WriteEndArray();
                    writer.WriteEndObject();
                });
                return;
            }
            var table = ConsoleOutput.NewTable("segment", "partition", "status", "window start", "window end", "events", "size", "sealed at", "materialized");
            foreach (var (s, materialized) in segments)
            {
                table.AddTextRow(s.SegmentId, Invariant(s.Partition), JsonOutput.StatusName(s.Status), ConsoleOutput.Time(s.TimeRange.Start),
                    ConsoleOutput.Time(s.TimeRange.End), Invariant(s.DocumentCount), ConsoleOutput.Bytes(s.SizeBytes),
                    s.SealedAt is { } sealedAt ? ConsoleOutput.Time(sealedAt) : "", materialized ? "yes" : "no");
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
            var id = SegmentIdOf(context, sid);
            var store = await context.OpenStoreAsync();
            var segment = await store.GetSegmentAsync(id, context.CancellationToken);
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

    /// <summary>
    /// Moves the bar on the reporting thread (<see cref="Progress{T}"/> would post reports to the thread pool,
    /// where a late one could land after the bar was filled and pull it back).
    /// </summary>
    private sealed class BarProgress(ProgressTask task) : IProgress<long>
    {
        public void Report(long value) => task.Value = Math.Max(task.Value, value);
    }
}
