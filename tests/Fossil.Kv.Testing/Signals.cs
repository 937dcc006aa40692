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
}
