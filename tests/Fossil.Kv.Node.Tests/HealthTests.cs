using System.Net;

namespace Fossil.Kv.Node.Tests;

[Collection(EtcdCollection.Name)]
public sealed class HealthTests(EtcdFixture etcd)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(5) };

    [Fact]
    public async Task node_answers_live_and_ready_against_configured_etcd()
    {
        var endpoints = string.Join(',', etcd.Endpoints.Select(e => e.AbsoluteUri.TrimEnd('/')));
        var prefix = TestKeys.UniquePrefix();
        await using var node = NodeProcess.Start(Path.GetTempPath(), $"--Fossil:Etcd:Endpoints={endpoints}", $"--Fossil:RootPrefix={prefix}");

        await WaitForStatusAsync(node, "/health/live", HttpStatusCode.OK);
        await WaitForStatusAsync(node, "/health/ready", HttpStatusCode.OK);
        await Poll.UntilAsync(async () => await NodeKeysAsync(prefix) == 1, Deadline, "the node registered in /meta/nodes");
        await node.StopAsync();

        // A graceful stop revokes the node's lease, so its key goes at once rather than after the TTL.
        Assert.Equal(0, await NodeKeysAsync(prefix));
    }

    [Fact]
    public async Task node_without_endpoints_starts_and_stops_an_embedded_etcd()
    {
        var dataRoot = Directory.CreateTempSubdirectory("fossil-node-").FullName;
        try
        {
            var clientPort = LocalPorts.GetFree();
            var peerPort = LocalPorts.GetFree();
            await using var node = NodeProcess.Start(dataRoot,
                $"--Fossil:Etcd:Embedded:ClientPort={clientPort}", $"--Fossil:Etcd:Embedded:PeerPort={peerPort}");

            await WaitForStatusAsync(node, "/health/ready", HttpStatusCode.OK);
            Assert.True(Directory.Exists(Path.Combine(dataRoot, "data", "etcd")), "the embedded etcd keeps its data in ./data/etcd");
            var etcdPid = int.Parse(await File.ReadAllTextAsync(Path.Combine(dataRoot, "data", "etcd.pid")), System.Globalization.CultureInfo.InvariantCulture);
            await node.StopAsync();

            await Poll.UntilAsync(() => !ProcessRuns(etcdPid), Deadline, "the embedded etcd stopped with the node");
        }
        finally
        {
            Directory.Delete(dataRoot, recursive: true);
        }
    }

    private async Task<int> NodeKeysAsync(string prefix) =>
        (await EtcdCtl.RunAsync(etcd.Endpoints, "get", "--prefix", "--keys-only", prefix + "/meta/nodes/"))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Length;

    [Theory]
    [InlineData("--Fossil:Segment:Duration=soon", "segment.duration")]
    [InlineData("--Fossil:Segment:Partitions=99", "segment.partitions")]
    [InlineData("--Fossil:Segment:MaxSize=huge", "segment.max_size")]
    public async Task node_refuses_to_start_with_an_invalid_setting_and_names_it(string setting, string name)
    {
        var start = new System.Diagnostics.ProcessStartInfo("dotnet")
        {
            ArgumentList = { Path.Combine(AppContext.BaseDirectory, "Fossil.Kv.Node.dll"), "--urls", $"http://127.0.0.1:{LocalPorts.GetFree()}", "--Fossil:Etcd:Endpoints=http://127.0.0.1:1", setting },
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        using var process = System.Diagnostics.Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(Deadline);
        await process.WaitForExitAsync(timeout.Token);

        Assert.Equal(1, process.ExitCode);
        Assert.Contains(name, await stderr, StringComparison.Ordinal);
    }

    private static bool ProcessRuns(int pid)
    {
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static Task WaitForStatusAsync(NodeProcess node, string path, HttpStatusCode status) =>
        Poll.UntilAsync(async () =>
        {
            Assert.False(node.HasExited, $"{node} exited");
            try
            {
                using var response = await Http.GetAsync(new Uri(node.BaseAddress, path));
                return response.StatusCode == status;
            }
            catch (HttpRequestException)
            {
                return false;
            }
        }, Deadline, $"{node} answers {(int)status} on {path}");
}
