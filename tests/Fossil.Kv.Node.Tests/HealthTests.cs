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
    public async Task node_without_endpoints_starts_supervises_and_stops_an_embedded_etcd_that_no_second_node_takes_away()
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
            var (etcdPid, ownerPid) = await ReadPidFileAsync(dataRoot);
            Assert.Equal(node.ProcessId, ownerPid);

            // A second node in the same directory must not stop the first one's etcd.
            await using (var second = NodeProcess.Start(dataRoot,
                $"--Fossil:Etcd:Embedded:ClientPort={LocalPorts.GetFree()}", $"--Fossil:Etcd:Embedded:PeerPort={LocalPorts.GetFree()}"))
            {
                using var exited = new CancellationTokenSource(Deadline);
                await second.WaitForExitAsync(exited.Token);
                Assert.Equal(1, second.ExitCode);
                Assert.Contains("in use by the etcd of another running node", second.Output, StringComparison.Ordinal);
            }
            Assert.True(ProcessRuns(etcdPid), "the first node's etcd still runs");

            // An etcd that dies under a running node is started again.
            System.Diagnostics.Process.GetProcessById(etcdPid).Kill();
            await Poll.UntilAsync(async () => (await ReadPidFileAsync(dataRoot)).Etcd != etcdPid, Deadline, "the node starts its etcd again");
            await WaitForStatusAsync(node, "/health/ready", HttpStatusCode.OK);
            var (restartedPid, _) = await ReadPidFileAsync(dataRoot);
            await node.StopAsync();

            await Poll.UntilAsync(() => !ProcessRuns(restartedPid), Deadline, "the embedded etcd stopped with the node");
        }
        finally
        {
            Directory.Delete(dataRoot, recursive: true);
        }
    }

    /// <summary><c>data/etcd.pid</c>: the embedded etcd's process id and its owner node's.</summary>
    private static async Task<(int Etcd, int Owner)> ReadPidFileAsync(string dataRoot)
    {
        var pids = (await File.ReadAllTextAsync(Path.Combine(dataRoot, "data", "etcd.pid"))).Split(' ');
        return (int.Parse(pids[0], System.Globalization.CultureInfo.InvariantCulture), int.Parse(pids[1], System.Globalization.CultureInfo.InvariantCulture));
    }

    private async Task<int> NodeKeysAsync(string prefix) =>
        (await EtcdCtl.RunAsync(etcd.Endpoints, "get", "--prefix", "--keys-only", prefix + "/meta/nodes/"))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Length;

    [Theory]
    [InlineData("--Fossil:Segment:Duration=soon", "segment.duration")]
    [InlineData("--Fossil:Segment:Partitions=99", "segment.partitions")]
    [InlineData("--Fossil:Segment:MaxSize=huge", "segment.max_size")]
    [InlineData("--Fossil:Vector:Metric=manhattan", "vector.metric")]
    [InlineData("--Fossil:Etcd:Endpoints=ftp://127.0.0.1:1", "'ftp://127.0.0.1:1' is not an etcd endpoint")]
    [InlineData("--Fossil:Security:ApiKeys:0:Scopes=admin", "Fossil:Security:ApiKeys:0:Key is empty")]
    [InlineData("--Fossil:Security:ApiKeys:0:Key=k --Fossil:Security:ApiKeys:0:Scopes=superuser", "unknown scope 'superuser'")]
    [InlineData("--urls=notaurl", "Invalid url: 'notaurl'")]
    [InlineData("--Fossil:Segment:Directory=/dev/null/segments", "Fossil:Segment:Directory '/dev/null/segments' is not a directory this node can write")]
    [InlineData("--Fossil:Segment:Archive=/dev/null/archive", "Fossil:Segment:Archive '/dev/null/archive'")]
    [InlineData("--Fossil:RootPrefix=/meta", "Fossil:RootPrefix '/meta' puts the store inside '/meta/', where the default store (no prefix) keeps its metadata")]
    [InlineData("--Fossil:RootPrefix=/tenant/s", "Fossil:RootPrefix '/tenant/s' puts the store inside '/tenant/s/', where the store at '/tenant' keeps its segments")]
    public async Task node_refuses_to_start_with_an_invalid_setting_and_names_it_on_one_line(string settings, string name)
    {
        var (exitCode, stderr) = await StartAndWaitForExitAsync(settings.Split(' '));

        Assert.Equal(1, exitCode);
        var line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: ", line, StringComparison.Ordinal);
        Assert.Contains(name, line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task node_whose_http_port_is_taken_exits_with_one_line_naming_the_address()
    {
        using var taken = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        taken.Start();
        var address = $"http://127.0.0.1:{((System.Net.IPEndPoint)taken.LocalEndpoint).Port}";

        var (exitCode, stderr) = await StartAndWaitForExitAsync("--urls", address);

        Assert.Equal(1, exitCode);
        var line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: the node did not start: ", line, StringComparison.Ordinal);
        Assert.Contains(address, line, StringComparison.Ordinal);
    }

    /// <summary>Runs the node against an etcd nobody listens on (it must fail before it needs one) and waits for it to exit.</summary>
    private static async Task<(int ExitCode, string Stderr)> StartAndWaitForExitAsync(params string[] settings)
    {
        var start = new System.Diagnostics.ProcessStartInfo("dotnet")
        {
            ArgumentList = { Path.Combine(AppContext.BaseDirectory, "Fossil.Kv.Node.dll"), "--urls", $"http://127.0.0.1:{LocalPorts.GetFree()}", "--Fossil:Etcd:Endpoints=http://127.0.0.1:1" },
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        foreach (var setting in settings) start.ArgumentList.Add(setting);
        using var process = System.Diagnostics.Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(Deadline);
        await process.WaitForExitAsync(timeout.Token);
        await stdout;
        return (process.ExitCode, await stderr);
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
