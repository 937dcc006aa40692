using System.CommandLine;
using System.Globalization;
using Spectre.Console;
using Fossil.Kv.Cli.Output;

namespace Fossil.Kv.Cli.Commands;

/// <summary>
/// <c>fossil search</c> and <c>fossil entities events|related</c>: the store's vector search and entity graph,
/// run in this process. Sealed segments this machine lacks are materialized under <c>--dir</c> first.
/// </summary>
internal static class SearchCommands
{
    private const string DefaultDirectory = "./data/segments";

    private static Option<string> DirectoryOption() => new("--dir")
    {
        Description = "segment.directory of this machine: sealed segments are read from here, and materialized here when missing",
        DefaultValueFactory = _ => DefaultDirectory,
        HelpName = "path",
    };

    private static Option<int> LimitOption() => new("--limit") { Description = "at most this many (1-1000)", DefaultValueFactory = _ => 100, HelpName = "n" };

    public static Command Search(CommandRunner runner)
    {
        var vector = VectorInput.Option("query vector");
        var vectorFile = new Option<string?>("--vector-file") { Description = "read the query vector from a file: a JSON array or numbers separated by commas or whitespace", HelpName = "file" };
        var k = new Option<int>("-k", "--k") { Description = "how many nearest events (1-1000)", DefaultValueFactory = _ => 10, HelpName = "n" };
        var from = new Option<string?>("--from") { Description = "only events at or after this UTC time (ISO 8601)", HelpName = "time" };
        var to = new Option<string?>("--to") { Description = "only events at or before this UTC time (ISO 8601)", HelpName = "time" };
        var streamPrefix = new Option<string?>("--stream-prefix") { Description = "only events of streams starting with this", HelpName = "prefix" };
        var entity = new Option<string?>("--entity") { Description = "only events that mention this entity", HelpName = "entity" };
        var ef = new Option<int?>("--ef") { Description = "HNSW candidate list size (default: hnsw.ef_search)", HelpName = "n" };
        var dir = DirectoryOption();
        var command = new Command("search", "the events nearest to a vector across the retained segments, nearest first")
        {
            vector, vectorFile, k, from, to, streamPrefix, entity, ef, dir,
        };
        command.Validators.Add(result =>
        {
            if ((result.GetValue(vector) is null) == (result.GetValue(vectorFile) is null)) result.AddError("search needs --vector or --vector-file (one of them).");
        });
        runner.SetAction(command, async context =>
        {
            var parsed = context.ParseResult;
            var values = parsed.GetValue(vector) is { } text
                ? VectorInput.Parse(text, "--vector")
                : VectorInput.Parse(await ReadVectorFileAsync(parsed.GetValue(vectorFile)!, context.CancellationToken), $"--vector-file {parsed.GetValue(vectorFile)}");
            var query = new VectorSearchQuery(values, parsed.GetValue(k))
            {
                From = ParseTime(parsed.GetValue(from), "--from"),
                To = ParseTime(parsed.GetValue(to), "--to"),
                StreamPrefix = parsed.GetValue(streamPrefix),
                Entity = parsed.GetValue(entity),
                Ef = parsed.GetValue(ef),
            };
            context.SegmentDirectory = parsed.GetValue(dir)!;
            var store = await context.OpenStoreAsync();
            var results = await store.SearchAsync(query, context.CancellationToken);
            if (context.Json)
            {
                context.WriteJson(writer => VectorSearchResult.WriteJson(writer, results, JsonOutput.WriteEvent));
                return;
            }
            var table = ConsoleOutput.NewTable("distance", "stream", "version", "type", "timestamp", "position", "segment");
            foreach (var (distance, e) in results)
            {
                table.AddTextRow(distance.ToString("0.######", CultureInfo.InvariantCulture), e.Stream, Invariant(e.Version), e.Type,
                    ConsoleOutput.Time(e.Timestamp.UtcDateTime), e.Position.ToString(), e.Segment);
            }
            context.Console.Write(table);
            context.Console.WriteLine($"{results.Count} result(s)");
        });
        return command;
    }

    public static Command Entities(CommandRunner runner)
    {
        var command = new Command("entities", "the entity index and graph across the retained segments");
        command.Add(Events(runner));
        command.Add(Related(runner));
        return command;
    }

    private static Argument<string> EntityArgument() => new("entity") { Description = "entity name" };

    private static Command Events(CommandRunner runner)
    {
        var entity = EntityArgument();
        var limit = LimitOption();
        var dir = DirectoryOption();
        var command = new Command("events", "events that mention the entity, oldest first") { entity, limit, dir };
        runner.SetAction(command, async context =>
        {
            context.SegmentDirectory = context.ParseResult.GetValue(dir)!;
            var name = context.ParseResult.GetValue(entity)!;
            var store = await context.OpenStoreAsync();
            var events = await store.ReadEntityEventsAsync(name, context.ParseResult.GetValue(limit), context.CancellationToken);
            if (context.Json)
            {
                context.WriteJson(writer =>
                {
                    writer.WriteStartObject();
                    writer.WriteString("entity", name);
                    writer.WriteStartArray("events");
                    foreach (var e in events) JsonOutput.WriteEvent(writer, e);
                    writer.WriteEndArray();
                    writer.WriteEndObject();
                });
                return;
            }
            var table = ConsoleOutput.NewTable("position", "stream", "version", "type", "timestamp", "segment");
            foreach (var e in events)
                table.AddTextRow(e.Position.ToString(), e.Stream, Invariant(e.Version), e.Type, ConsoleOutput.Time(e.Timestamp.UtcDateTime), e.Segment);
            context.Console.Write(table);
            context.Console.WriteLine($"{events.Count} event(s)");
        });
        return command;
    }

    private static Command Related(CommandRunner runner)
    {
        var entity = EntityArgument();
        var limit = LimitOption();
        var dir = DirectoryOption();
        var command = new Command("related", "entities mentioned together with the entity, by number of shared events") { entity, limit, dir };
        runner.SetAction(command, async context =>
        {
            context.SegmentDirectory = context.ParseResult.GetValue(dir)!;
            var name = context.ParseResult.GetValue(entity)!;
            var store = await context.OpenStoreAsync();
            var related = await store.GetRelatedEntitiesAsync(name, context.ParseResult.GetValue(limit), context.CancellationToken);
            if (context.Json)
            {
                context.WriteJson(writer => RelatedEntity.WriteJson(writer, name, related));
                return;
            }
            var table = ConsoleOutput.NewTable("entity", "weight");
            foreach (var r in related) table.AddTextRow(r.Entity, Invariant(r.Weight));
            context.Console.Write(table);
            context.Console.WriteLine($"{related.Count} related entit{(related.Count == 1 ? "y" : "ies")}");
        });
        return command;
    }

    private static async Task<string> ReadVectorFileAsync(string path, CancellationToken cancellationToken)
    {
        if (!File.Exists(path)) throw CliException.Invalid($"--vector-file: file '{path}' does not exist.");
        return await File.ReadAllTextAsync(path, cancellationToken);
    }

    private static DateTimeOffset? ParseTime(string? text, string what) =>
        text is null ? null
        : DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time) ? time
        : throw CliException.Invalid($"{what} must be a time like 2026-11-22T08:00:00Z (got '{text}').");

    private static string Invariant(long value) => value.ToString(CultureInfo.InvariantCulture);
}
