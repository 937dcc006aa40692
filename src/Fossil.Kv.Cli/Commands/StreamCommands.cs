using System.CommandLine;
using System.Globalization;
using System.Text;
using Fossil.Kv.Cli.Output;
using Spectre.Console;

namespace Fossil.Kv.Cli.Commands;

/// <summary><c>fossil streams append|read|info|tail</c>.</summary>
internal static class StreamCommands
{
    private const int DataPreviewLength = 80;

    public static Command Create(CommandRunner runner)
    {
        var command = new Command("streams", "append to, read and follow streams");
        command.Add(Append(runner));
        command.Add(Read(runner));
        command.Add(Info(runner));
        command.Add(Tail(runner));
        return command;
    }

    private static Argument<string> StreamArgument() => new("stream") { Description = "stream name" };

    /// <summary>The stream argument, checked before etcd is touched, so a bad name never opens (or seeds) a store.</summary>
    private static string ValidStream(string? stream)
    {
        // .NET decodes the command line as UTF-8 and puts U+FFFD where the bytes were not UTF-8: the name would not be the
        // one the operator typed. (The HTTP API still takes U+FFFD in a name; percent-encoding there is unambiguous.)
        if (stream is not null && stream.Contains('\uFFFD', StringComparison.Ordinal))
            throw CliException.Invalid("the stream name is not valid UTF-8 (its bytes would be stored as U+FFFD, another name); pass the name in UTF-8.");
        Keyspace.StreamName.EnsureValid(stream);
        return stream!;
    }

    private static Command Append(CommandRunner runner)
    {
        var stream = StreamArgument();
        var type = new Option<string>("--type") { Description = "event type", Required = true, HelpName = "type" };
        var data = new Option<string?>("--data") { Description = "event data as JSON", HelpName = "json" };
        var dataFile = new Option<string?>("--data-file") { Description = "read the event data (JSON) from a file; - for stdin", HelpName = "file" };
        var metadata = new Option<string?>("--metadata") { Description = "event metadata as a JSON object", HelpName = "json" };
        var expected = new Option<string>("--expected")
        {
            Description = "expected stream version: any, no_stream, exists or the version N of its last event",
            DefaultValueFactory = _ => "any",
            HelpName = "version",
        };
        var id = new Option<Guid?>("--id") { Description = "event id (UUID) for idempotent re-sends (default: a new one)", HelpName = "uuid" };
        var vector = VectorInput.Option("the event's embedding, for search", ", as many as the store's vector.dimension, which its first vector sets");
        var entities = new Option<string?>("--entities") { Description = "entities the event mentions, comma-separated (each one trimmed)", HelpName = "e1,e2,..." };
        var entity = new Option<string[]>("--entity") { Description = "an entity the event mentions, taken as given (a name with a comma); repeat for more", HelpName = "entity" };
        var command = new Command("append", "append one event to a stream") { stream, type, data, dataFile, metadata, expected, id, vector, entities, entity };
        runner.SetAction(command, async context =>
        {
            var result = context.ParseResult;
            var streamName = ValidStream(result.GetValue(stream));
            var expectedText = result.GetValue(expected)!;
            if (!StreamState.TryParse(expectedText, out var state))
                throw CliException.Invalid($"--expected must be any, no_stream, exists or a version number (got '{expectedText}').");
            var payload = await ReadDataAsync(context, result.GetValue(data), result.GetValue(dataFile));
            var metadataBytes = result.GetValue(metadata) is { } metadataText ? ParseJson(metadataText, "--metadata", requireObject: true) : null;
            var eventType = result.GetValue(type)!;
            if (string.IsNullOrWhiteSpace(eventType)) throw CliException.Invalid("--type must not be empty.");
            var eventId = result.GetValue(id);
            if (eventId == Guid.Empty) throw CliException.Invalid("--id must not be the nil UUID; leave it out to have one generated.");
            var eventData = new EventData(eventId, eventType, payload, metadataBytes)
            {
                // Finite values, the dimension and entity names are the store's rules: it refuses them with its own message.
                Vector = result.GetValue(vector) is { } vectorText ? VectorInput.Parse(vectorText, "--vector") : null,
                Entities = EntitiesOf(result.GetValue(entities), result.GetValue(entity)),
            };

            var store = await context.OpenStoreAsync(mustExist: false);
            var appended = await store.AppendToStreamAsync(streamName, state, [eventData], context.CancellationToken);
            if (context.Json)
            {
                context.WriteJson(writer => JsonOutput.WriteAppendResult(writer, appended));
                return;
            }
            context.Console.WriteLine(appended.IsRepeat
                ? $"already appended (idempotent repeat of event {eventData.Id}): nothing written"
                : $"appended event {eventData.Id}");
            var rows = new List<(string, string?)>
            {
                ("stream", appended.Stream),
                ("version", Invariant(appended.LastVersion)),
                ("position", appended.Position.ToString()),
                ("segment", appended.Segment),
            };
            if (eventData.Vector is { } sent) rows.Add(("vector", $"{sent.Length} dimensions"));
            if (eventData.Entities is { } named) rows.Add(("entities", string.Join(", ", named)));
            context.Console.Write(ConsoleOutput.Properties(rows));
        });
        return command;
    }

    /// <summary>
    /// <c>--entities a,b</c> and every <c>--entity</c>, in that order; null when neither is given. Empty names are
    /// kept, for the store to refuse with its entity rule rather than drop silently.
    /// </summary>
    private static List<string>? EntitiesOf(string? commaSeparated, string[]? each)
    {
        if (commaSeparated is null && each is not { Length: > 0 }) return null;
        List<string> names = commaSeparated is null ? [] : [.. commaSeparated.Split(',', StringSplitOptions.TrimEntries)];
        names.AddRange(each ?? []);
        return names;
    }

    private static async Task<byte[]> ReadDataAsync(CliContext context, string? data, string? dataFile)
    {
        if (data is not null && dataFile is not null) throw CliException.Invalid("give --data or --data-file, not both.");
        if (data is not null) return ParseJson(data, "--data", requireObject: false);
        if (dataFile is null) return [];
        byte[] bytes;
        if (dataFile == "-")
        {
            bytes = Encoding.UTF8.GetBytes(await context.Environment.Input.ReadToEndAsync(context.CancellationToken));
        }
        else
        {
            if (!File.Exists(dataFile)) throw CliException.Invalid($"--data-file: file '{dataFile}' does not exist.");
            bytes = await File.ReadAllBytesAsync(dataFile, context.CancellationToken);
        }
        return ParseJson(bytes, $"--data-file {dataFile}", requireObject: false);
    }

    private static byte[] ParseJson(string text, string what, bool requireObject) => ParseJson(Encoding.UTF8.GetBytes(text), what, requireObject);

    private static byte[] ParseJson(byte[] bytes, string what, bool requireObject)
    {
        // Skip a UTF-8 byte order mark some editors write.
        var span = bytes.AsSpan();
        if (span.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF])) span = span[3..];
        if (!JsonOutput.IsJson(span)) throw CliException.Invalid($"{what} is not valid JSON.");
        if (requireObject && span.TrimStart(" \t\r\n"u8) is not [(byte)'{', ..]) throw CliException.Invalid($"{what} must be a JSON object.");
        return span.ToArray();
    }

    private static Command Read(CommandRunner runner)
    {
        var stream = StreamArgument();
        var from = new Option<long?>("--from") { Description = "first version to read, inclusive (default: the start, or the end with --backward)", HelpName = "version" };
        var backward = new Option<bool>("--backward") { Description = "read from newest to oldest" };
        var limit = new Option<int>("--limit") { Description = "at most this many events", DefaultValueFactory = _ => 100, HelpName = "n" };
        var command = new Command("read", "read a stream's events") { stream, from, backward, limit };
        runner.SetAction(command, async context =>
        {
            var result = context.ParseResult;
            var streamName = ValidStream(result.GetValue(stream));
            var max = result.GetValue(limit);
            if (max < 1) throw CliException.Invalid($"--limit must be at least 1 (got {max}).");
            var direction = result.GetValue(backward) ? Direction.Backwards : Direction.Forwards;
            var start = result.GetValue(from) ?? (direction == Direction.Forwards ? 0 : -1);
            if (start < 0 && !(direction == Direction.Backwards && start == -1))
                throw CliException.Invalid($"--from must be a version number, 0 or more (got {start}).");
            var store = await context.OpenStoreAsync();
            var events = new List<RecordedEvent>();
            await foreach (var e in store.ReadStreamAsync(streamName, direction, start, (long)max + 1, context.CancellationToken))
                events.Add(e);
            long? next = events.Count > max ? events[max].Version : null;
            if (events.Count > max) events.RemoveAt(max);
            if (context.Json)
            {
                context.WriteJson(writer =>
                {
                    writer.WriteStartObject();
                    writer.WriteStartArray("events");
                    foreach (var e in events) JsonOutput.WriteEvent(writer, e);
                    writer.WriteEndArray();
                    if (next is { } n) writer.WriteNumber("next", n);
                    else writer.WriteNull("next");
                    writer.WriteEndObject();
                });
                return;
            }
            var table = EventTable();
            foreach (var e in events) AddEventRow(table, e);
            context.Console.Write(table);
            context.Console.WriteLine(next is { } more ? $"{events.Count} event(s); more from --from {more}" : $"{events.Count} event(s)");
        });
        return command;
    }

    private static Command Info(CommandRunner runner)
    {
        var stream = StreamArgument();
        var command = new Command("info", "a stream's version and the segments it has events in") { stream };
        runner.SetAction(command, async context =>
        {
            var streamName = ValidStream(context.ParseResult.GetValue(stream));
            var store = await context.OpenStoreAsync();
            var info = await store.GetStreamAsync(streamName, context.CancellationToken);
            if (context.Json)
            {
                context.WriteJson(writer =>
                {
                    writer.WriteStartObject();
                    writer.WriteString("stream", info.Stream);
                    writer.WriteNumber("version", info.Version);
                    writer.WriteStartArray("segments");
                    foreach (var segment in info.Segments) writer.WriteStringValue(segment.Segment);
                    writer.WriteEndArray();
                    writer.WriteEndObject();
                });
                return;
            }
            var table = ConsoleOutput.NewTable("segment", "first version");
            foreach (var segment in info.Segments) table.AddTextRow(segment.Segment, Invariant(segment.FirstVersion));
            context.Console.WriteLine($"stream {info.Stream}: version {Invariant(info.Version)}");
            context.Console.Write(table);
        });
        return command;
    }

    private static Command Tail(CommandRunner runner)
    {
        var stream = new Argument<string?>("stream") { Description = "stream to follow (or --all)", Arity = ArgumentArity.ZeroOrOne };
        var all = new Option<bool>("--all") { Description = "follow the global log of every stream" };
        var after = new Option<string?>("--after")
        {
            Description = "start after this stream version (a stream) or global position (--all); default: from the beginning",
            HelpName = "version|position",
        };
        var count = new Option<int?>("--count") { Description = "stop after this many events (default: until Ctrl+C)", HelpName = "n" };
        var streamPrefix = new Option<string?>("--stream-prefix") { Description = "with --all: only streams starting with this", HelpName = "prefix" };
        var type = new Option<string?>("--type") { Description = "with --all: only events of this type", HelpName = "type" };
        var command = new Command("tail", "print a stream's (or every stream's) events, then follow new ones live; ends on Ctrl+C or --count")
        {
            stream, all, after, count, streamPrefix, type,
        };
        command.Validators.Add(result =>
        {
            var hasStream = result.GetValue(stream) is not null;
            var hasAll = result.GetValue(all);
            if (hasStream == hasAll) result.AddError("tail needs a stream name or --all (one of them).");
            if (!hasAll && (result.GetValue(streamPrefix) is not null || result.GetValue(type) is not null))
                result.AddError("--stream-prefix and --type filter --all only.");
        });
        runner.SetAction(command, async context =>
        {
            var result = context.ParseResult;
            var limit = result.GetValue(count);
            if (limit is < 1) throw CliException.Invalid($"--count must be at least 1 (got {limit}).");
            var afterText = result.GetValue(after);
            IAsyncEnumerable<RecordedEvent> events;
            if (result.GetValue(all))
            {
                Position? afterPosition = null;
                if (afterText is not null)
                {
                    if (!Position.TryParse(afterText, out var parsed))
                        throw CliException.Invalid($"--after must be a global position, e.g. 00000000000000012345-0007 (got '{afterText}').");
                    afterPosition = parsed;
                }
                var filter = new EventFilter(result.GetValue(streamPrefix), result.GetValue(type));
                var store = await context.OpenStoreAsync();
                events = store.SubscribeToAllAsync(afterPosition, filter, context.CancellationToken);
            }
            else
            {
                long? afterVersion = null;
                if (afterText is not null)
                {
                    if (!long.TryParse(afterText, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var version) || version < -1)
                        throw CliException.Invalid($"--after must be a stream version, -1 or more (got '{afterText}').");
                    afterVersion = version;
                }
                var streamName = ValidStream(result.GetValue(stream));
                var store = await context.OpenStoreAsync();
                events = store.SubscribeToStreamAsync(streamName, afterVersion, context.CancellationToken);
            }
            await PrintAsync(context, events, limit, context.CancellationToken);
        });
        return command;
    }

    /// <summary>Prints events as they come (one JSON line each under --json); Ctrl+C is the normal end.</summary>
    private static async Task PrintAsync(CliContext context, IAsyncEnumerable<RecordedEvent> events, int? limit, CancellationToken cancellationToken)
    {
        var seen = 0;
        try
        {
            await foreach (var e in events.WithCancellation(cancellationToken))
            {
                if (context.Json) context.WriteJson(writer => JsonOutput.WriteEvent(writer, e));
                else
                {
                    context.Stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"{e.Position} {e.Stream}@{e.Version} {e.Type} {Preview(e)}"));
                }
                await context.Stdout.FlushAsync(CancellationToken.None);
                if (++seen == limit) return;
            }
        }
        catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
        {
            // Ctrl+C: the way a tail ends.
        }
    }

    private static Table EventTable() => ConsoleOutput.NewTable("version", "type", "id", "timestamp", "position", "data");

    private static void AddEventRow(Table table, RecordedEvent e) =>
        table.AddTextRow(Invariant(e.Version), e.Type, e.Id.ToString(), ConsoleOutput.Time(e.Timestamp.UtcDateTime), e.Position.ToString(), Preview(e));

    private static string Preview(RecordedEvent e)
    {
        if (e.Data.IsEmpty) return "";
        var text = e.IsJson ? Encoding.UTF8.GetString(e.Data.Span) : $"<{e.Data.Length} bytes binary>";
        text = text.ReplaceLineEndings(" ");
        return text.Length <= DataPreviewLength ? text : text[..(DataPreviewLength - 1)] + "…";
    }

    private static string Invariant(long value) => value.ToString(CultureInfo.InvariantCulture);
}
