using System.Globalization;
using Fossil.Kv.Chaos;

// scripts/chaos.sh [--seconds N] [--nodes N] [--appenders N] [--seed N] [--work DIR]
// Exit code: 0 when the checker found no violation, 1 when it found any, 2 for bad arguments.
var options = new ChaosOptions { Progress = Console.Out };
for (var i = 0; i < args.Length; i++)
{
    var value = i + 1 < args.Length ? args[i + 1] : null;
    int Number() => int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0
        ? n : throw new ArgumentException($"{args[i]} needs a positive whole number (got '{value}').");
    try
    {
        options = args[i] switch
        {
            "--seconds" => options with { Duration = TimeSpan.FromSeconds(Number()) },
            "--nodes" => options with { Nodes = Number() },
            "--appenders" => options with { Appenders = Number() },
            "--seed" => options with { Seed = Number() },
            "--work" => options with { WorkDirectory = value ?? throw new ArgumentException("--work needs a directory.") },
            _ => throw new ArgumentException($"unknown option '{args[i]}' (expected --seconds, --nodes, --appenders, --seed, --work)."),
        };
        i++;
    }
    catch (ArgumentException e)
    {
        await Console.Error.WriteLineAsync($"chaos: {e.Message}").ConfigureAwait(false);
        return 2;
    }
}

Console.WriteLine($"chaos: {options.Duration.TotalSeconds:0} s, {options.Nodes} nodes, {options.Appenders} appenders, segment.duration {options.SegmentDuration}, seed {options.Seed}");
var result = await ChaosRun.RunAsync(options).ConfigureAwait(false);
Console.WriteLine();
Console.WriteLine($"faults injected ({result.Faults.Count(f => f.Contains("SIGKILL", StringComparison.Ordinal) || f.Contains("SIGSTOP", StringComparison.Ordinal))}):");
foreach (var fault in result.Faults) Console.WriteLine("  " + fault);
Console.WriteLine("subscribers:");
foreach (var subscriber in result.Subscribers) Console.WriteLine("  " + subscriber);
Console.WriteLine();
Console.WriteLine(result.Report.Format());
Console.WriteLine($"run took {result.Elapsed.TotalSeconds:0} s; history in {result.WorkDirectory}");
Console.WriteLine(result.Report.Passed ? "chaos: no violations" : $"chaos: {result.Report.Violations.Count} VIOLATIONS");
return result.Report.Passed ? 0 : 1;
