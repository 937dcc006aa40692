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
        await using var node = NodeProcess.Start(Path.GetTempPath(), $"--Fossil:Etcd:Endpoints={endpoints}");

        await WaitForStatusAsync(node, "/health/live", HttpStatusCode.OK);
        await WaitForStatusAsync(node, "/health/ready", HttpStatusCode.OK);
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
