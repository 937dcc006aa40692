using System.CommandLine;

namespace Fossil.Kv.Cli;

/// <summary>Gives each command its <see cref="CliContext"/> and maps what it throws to an exit code.</summary>
internal sealed class CommandRunner(GlobalOptions globals, TextWriter stdout, TextWriter stderr, CliEnvironment environment)
{
    public void SetAction(Command command, Func<CliContext, Task> body)
    {
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            CliContext? context = null;
            try
            {
                context = CliContext.Create(parseResult, globals, stdout, stderr, environment, cancellationToken);
                await body(context);
                await stdout.FlushAsync(CancellationToken.None);
                return ExitCodes.Success;
            }
            catch (Exception e)
            {
                var (code, message) = CliApp.Describe(e, context?.Endpoints ?? [], context is { TouchesSegmentDirectory: true } ? context.SegmentDirectory : null);
                await stdout.FlushAsync(CancellationToken.None);
                await CliApp.WriteErrorAsync(stderr, message);
                return code;
            }
            finally
            {
                if (context is not null) await context.DisposeAsync();
            }
        });
    }
}
