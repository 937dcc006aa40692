using System.CommandLine;
using System.Text.Json.Nodes;
using Fossil.Kv.Cli.Output;
using Fossil.Kv.Configuration;
using Spectre.Console;

namespace Fossil.Kv.Cli.Commands;

/// <summary><c>fossil config get|set</c>: the store-wide settings in <c>/meta/config</c>.</summary>
internal static class ConfigCommands
{
    public static Command Create(CommandRunner runner)
    {
        var command = new Command("config", "store-wide settings (/meta/config)");
        command.Add(Get(runner));
        command.Add(Set(runner));
        return command;
    }

    private static Command Get(CommandRunner runner)
    {
        var name = new Argument<string?>("name") { Description = "one setting, e.g. segment.duration (default: all)", Arity = ArgumentArity.ZeroOrOne };
        var command = new Command("get", "show the settings, or one of them") { name };
        runner.SetAction(command, async context =>
        {
            // Read the key itself: a fresh etcd must not get a store seeded with this CLI's defaults.
            var settings = StoreSettings.FromJsonBytes((await context.ReadConfigAsync()).Span);
            var wanted = context.ParseResult.GetValue(name);
            if (wanted is not null) StoreSettings.EnsureStoreWide(wanted);
            var pairs = wanted is null ? settings.ToPairs() : [new KeyValuePair<string, string>(wanted, settings.Get(wanted))];
            if (context.Json)
            {
                context.WriteJson(writer =>
                {
                    writer.WriteStartObject();
                    foreach (var (key, value) in pairs) JsonOutput.WriteSettingValue(writer, key, value);
                    writer.WriteEndObject();
                });
                return;
            }
            var table = ConsoleOutput.NewTable("setting", "value");
            foreach (var (key, value) in pairs) table.AddTextRow(key, value);
            context.Console.Write(table);
        });
        return command;
    }

    private static Command Set(CommandRunner runner)
    {
        var assignments = new Argument<string[]>("name=value")
        {
            Description = "settings to change, e.g. segment.duration=1h segment.partitions=8",
            Arity = ArgumentArity.OneOrMore,
        };
        var command = new Command("set", "change settings: validated, all or nothing, compare-and-swap on /meta/config") { assignments };
        runner.SetAction(command, async context =>
        {
            var changes = Parse(context.ParseResult.GetValue(assignments) ?? []);
            // Validate before touching etcd, so a bad value never reaches (or seeds) the store.
            _ = new StoreSettings().WithJson(changes);
            var store = await context.OpenStoreAsync(mustExist: false);
            var (before, after) = await store.UpdateSettingsAsync(changes, context.CancellationToken);
            var names = changes.Select(c => c.Key).ToList();
            if (context.Json)
            {
                context.WriteJson(writer =>
                {
                    writer.WriteStartObject();
                    writer.WriteStartArray("changes");
                    foreach (var changed in names)
                    {
                        writer.WriteStartObject();
                        writer.WriteString("name", changed);
                        JsonOutput.WriteSettingValue(writer, "old", before.Get(changed));
                        JsonOutput.WriteSettingValue(writer, "new", after.Get(changed));
                        writer.WriteEndObject();
                    }
                    writer.WriteEndArray();
                    writer.WritePropertyName("settings");
                    JsonOutput.WriteSettings(writer, after);
                    writer.WriteEndObject();
                });
                return;
            }
            var table = ConsoleOutput.NewTable("setting", "old", "", "new");
            foreach (var changed in names) table.AddTextRow(changed, before.Get(changed), "→", after.Get(changed));
            context.Console.Write(table);
            context.Console.WriteLine("segment.duration applies at its next UTC boundary; segment.partitions and segment.max_size from the next window.");
        });
        return command;
    }

    private static JsonObject Parse(IEnumerable<string> assignments)
    {
        var changes = new JsonObject();
        foreach (var assignment in assignments)
        {
            var equals = assignment.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0) throw CliException.Invalid($"'{assignment}' is not name=value (e.g. segment.duration=1h).");
            var name = assignment[..equals].Trim();
            StoreSettings.EnsureStoreWide(name);
            if (changes.ContainsKey(name)) throw CliException.Invalid($"'{name}' is set more than once.");
            changes[name] = assignment[(equals + 1)..].Trim();
        }
        return changes;
    }
}
