using System.Runtime.InteropServices;

namespace Fossil.Kv.Testing;

/// <summary>POSIX signals for fault injection: SIGKILL a member, SIGSTOP/SIGCONT to pause one.</summary>
public static partial class Signals
{
    // Linux x86_64/arm64 numbers.
    public const int Kill = 9;
    public const int Stop = 19;
    public const int Continue = 18;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int SysKill(int pid, int signal);

    public static void Send(int pid, int signal)
    {
        if (SysKill(pid, signal) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            // ESRCH: the process is already gone, which is what a kill wanted anyway.
            if (errno == 3 && signal == Kill) return;
            throw new InvalidOperationException($"kill({pid}, {signal}) failed with errno {errno}.");
        }
    }

    /// <summary>Polls <c>/proc/&lt;pid&gt;/stat</c> until the process shows as stopped (state T).</summary>
    public static void WaitUntilStopped(int pid, TimeSpan timeout)
    {
        if (!SpinWait.SpinUntil(() => State(pid) is 'T' or 't', timeout))
            throw new TimeoutException($"Process {pid} did not stop within {timeout.TotalSeconds:0.#}s of SIGSTOP (state {State(pid)}).");
    }

    /// <summary>The state letter of <c>/proc/&lt;pid&gt;/stat</c>, after the command name (which may hold spaces and parentheses).</summary>
    private static char State(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        return stat[stat.LastIndexOf(')') + 2];
    }
}
