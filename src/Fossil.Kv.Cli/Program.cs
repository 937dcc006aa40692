using System.Runtime.InteropServices;
using Fossil.Kv.Cli;

// Ctrl+C (SIGINT) and SIGTERM cancel the running command (a tail then ends normally); a second one kills the process.
using var cancellation = new CancellationTokenSource();
void OnSignal(PosixSignalContext context)
{
    if (cancellation.IsCancellationRequested) return;
    context.Cancel = true;
    cancellation.Cancel();
}
using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
var environment = new CliEnvironment
{
    Input = Console.In,
    CanPrompt = !Console.IsInputRedirected && !Console.IsErrorRedirected,
    IsTerminal = !Console.IsOutputRedirected,
    CancellationToken = cancellation.Token,
};
return await CliApp.RunAsync(args, Console.Out, Console.Error, environment);
