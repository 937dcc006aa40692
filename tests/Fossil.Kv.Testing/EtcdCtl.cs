using System.Diagnostics;
using System.Text.Json;

namespace Fossil.Kv.Testing;

/// <summary>
/// Runs etcdctl against a member: the fixtures' own view of etcd, independent of the project's client,
/// so fixture behaviour never depends on the code under test.
/// </summary>
public static class EtcdCtl
{
    public static async Task<string> RunAsync(IEnumerable<Uri> endpoints, params string[] args)
    {
        var start = new ProcessStartInfo(EtcdBinaries.Etcdctl)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            Environment = { ["ETCDCTL_API"] = "3" },
        };
        start.ArgumentList.Add("--endpoints=" + string.Join(',', endpoints.Select(e => e.AbsoluteUri.TrimEnd('/'))));
        start.ArgumentList.Add("--command-timeout=5s");
        start.ArgumentList.Add("--dial-timeout=2s");
        foreach (var arg in args) start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().ConfigureAwait(false);
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"etcdctl {string.Join(' ', args)} failed: {(await stderr.ConfigureAwait(false)).Trim()}");
        return await stdout.ConfigureAwait(false);
    }

    internal static async Task<bool> IsLeaderAsync(EtcdMember member)
    {
        if (!await member.IsHealthyAsync().ConfigureAwait(false)) return false;
        try
        {
            var json = await RunAsync([member.ClientUrl], "endpoint", "status", "-w", "json").ConfigureAwait(false);
            using var doc = JsonDocument.Parse(json);
            var status = doc.RootElement[0].GetProperty("Status");
            return status.GetProperty("leader").GetUInt64() == status.GetProperty("header").GetProperty("member_id").GetUInt64();
        }
        catch (InvalidOperationException) { return false; }
    }
}
