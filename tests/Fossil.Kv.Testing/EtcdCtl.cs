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

    /// <summary>
    /// Adds the <c>root</c> user with <paramref name="password"/> and turns authentication on: from then on
    /// every request needs that user's token. <paramref name="connection"/> carries extra etcdctl flags (TLS).
    /// </summary>
    public static async Task EnableAuthAsync(IEnumerable<Uri> endpoints, string password, params string[] connection)
    {
        var urls = endpoints.ToArray();
        await RunAsync(urls, [.. connection, "user", "add", "root", $"--new-user-password={password}"]).ConfigureAwait(false);
        await RunAsync(urls, [.. connection, "user", "grant-role", "root", "root"]).ConfigureAwait(false);
        await RunAsync(urls, [.. connection, "auth", "enable"]).ConfigureAwait(false);
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
