using Spectre.Console;
using Spectre.Console.Rendering;

namespace Fossil.Kv.Cli.Output;

/// <summary>Spectre.Console over any <see cref="TextWriter"/>: colours and live progress only on a terminal.</summary>
internal static class ConsoleOutput
{
    public static IAnsiConsole Create(TextWriter writer, bool isTerminal)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer),
            Ansi = isTerminal ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = isTerminal ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = isTerminal ? InteractionSupport.Detect : InteractionSupport.No,
        });
        // Redirected output has no width; do not wrap tables at 80 columns there.
        if (!isTerminal) console.Profile.Width = 240;
        return console;
    }

    public static Table NewTable(params string[] columns)
    {
        var table = new Table().Border(TableBorder.Rounded);
        foreach (var column in columns) table.AddColumn(new TableColumn(column));
        return table;
    }

    /// <summary>A row of plain text cells (never parsed as markup: stream names and data are user text).</summary>
    public static void AddTextRow(this Table table, params string?[] cells) =>
        table.AddRow(cells.Select(c => (IRenderable)new Text(c ?? "")).ToArray());

    /// <summary>A two-column name/value table.</summary>
    public static Table Properties(IEnumerable<(string Name, string? Value)> rows)
    {
        var table = NewTable("", "");
        table.HideHeaders();
        foreach (var (name, value) in rows) table.AddTextRow(name, value);
        return table;
    }

    public static string Bytes(long bytes)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB"];
        double value = bytes;
        var unit = 0;
        while (value >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }
        return unit == 0 ? $"{bytes} B" : string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{value:0.#} {units[unit]}");
    }

    public static string Time(DateTime time) => time.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);
}
