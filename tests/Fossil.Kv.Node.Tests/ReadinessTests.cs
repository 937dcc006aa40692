using System.Net;
using System.Text.Json.Nodes;

namespace Fossil.Kv.Node.Tests;

/// <summary>Readiness against an etcd of the test's own, which it can pause.</summary>
public sealed class ReadinessTests
{
    [Fact]
    public async Task ready_answers_503_with_the_error_shape_while_etcd_is_paused_and_metrics_are_still_served()
    {
        await using var cluster = await EtcdCluster.StartAsync(1);
        var workingDirectory = Directory.CreateTempSubdirectory("fossil-node-").FullName;
        try
        {
            await using var node = NodeProcess.Start(workingDirectory,
                $"--Fossil:Etcd:Endpoints={cluster.ClientUrls[0].AbsoluteUri.TrimEnd('/')}", $"--Fossil:RootPrefix={TestKeys.UniquePrefix()}");
            using var http = new HttpClient { BaseAddress = node.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
            await Poll.UntilAsync(async () =>
            {
                Assert.False(node.HasExited, "the node exited while starting");
                try { return (await http.GetAsync(new Uri("/health/ready", UriKind.Relative))).StatusCode == HttpStatusCode.OK; }
                catch (HttpRequestException) { return false; }
            }, TimeSpan.FromSeconds(60), "the node is ready");

            cluster.Members[0].Pause();
            try
            {
                // A frozen etcd holds the probe until its own deadline: that is "not ready", not a failure of the node.
                using var response = await http.GetAsync(new Uri("/health/ready", UriKind.Relative));
                var text = await response.Content.ReadAsStringAsync();
                var body = JsonNode.Parse(text)!;

                Assert.True(response.StatusCode == HttpStatusCode.ServiceUnavailable, $"{(int)response.StatusCode} {text}");
                Assert.Equal("unavailable", body["error"]!.GetValue<string>());
                using var live = await http.GetAsync(new Uri("/health/live", UriKind.Relative));
                Assert.Equal(HttpStatusCode.OK, live.StatusCode);
                // The process's own metrics are served through an etcd outage: that is when their error counters matter.
                using var metrics = await http.GetAsync(new Uri("/metrics", UriKind.Relative));
                Assert.Equal(HttpStatusCode.OK, metrics.StatusCode);
                Assert.Contains("fossil_", await metrics.Content.ReadAsStringAsync(), StringComparison.Ordinal);
                // ... and count the etcd failures of calls other than appends: the node's background work times out here.
                await Poll.UntilAsync(async () => System.Text.RegularExpressions.Regex.IsMatch(
                        await http.GetStringAsync(new Uri("/metrics", UriKind.Relative)), "fossil_etcd_errors_total\\{kind=\"[a-z]+\"\\} [1-9]"),
                    TimeSpan.FromSeconds(60), "an etcd failure of the node's background work was counted");
            }
            finally
            {
                cluster.Members[0].Resume();
            }
        }
        finally
        {
            try { Directory.Delete(workingDirectory, recursive: true); }
            catch (IOException) { /* the OS cleans the temp dir */ }
        }
    }
}
