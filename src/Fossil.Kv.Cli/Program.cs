using Fossil.Kv.Cli;

// Ctrl+C cancels the running command (a tail then ends normally); a second Ctrl+C kills the process.
using var cancellation = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    if (cancellation.IsCancellationRequested) return;
    e.Cancel = true;
    cancellation.Cancel();
};
var environment = new CliEnvironment
{
    Input = Console.In,
    CanPrompt = !Console.IsInputRedirected && !Console.IsErrorRedirected,
    IsTerminal = !Console.IsOutputRedirected,
    CancellationToken = cancellation.Token,
};
return await CliApp.RunAsync(args, Console.Out, Console.Error, environment);
