using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Fossil.Kv.Node.Tests;

/// <summary>Two nodes on one etcd: one holds the cluster-wide background work, and it moves when that node dies.</summary>
[Collection(EtcdCollection.Name)]
public sealed class BackgroundWorkTests(EtcdFixture etcd) : IDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };
    private readonly string _root = Directory.CreateTempSubdirectory("fossil-work-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private NodeProcess StartNode(string id, string prefix)
    {
        var directory = Directory.CreateDirectory(Path.Combine(_root, id)).FullName;
        var endpoints = string.Join(',', etcd.Endpoints.Select(e => e.AbsoluteUri.TrimEnd('/')));
        return NodeProcess.Start(directory,
            $"--Fossil:Etcd:Endpoints={endpoints}", $"--Fossil:RootPrefix={prefix}", $"--Fossil:Node:Id={id}", "--Fossil:Node:LeaseTtl=2s",
            "--Fossil:Segment:Duration=2s", "--Fossil:Segment:Retention=2s", "--Fossil:Segment:Partitions=1");
    }

    private static async Task<JsonElement?> TryGetJsonAsync(NodeProcess node, string path)
    {
        Assert.False(node.HasExited, $"{node} exited");
        try
        {
            using var response = await Http.GetAsync(new Uri(node.BaseAddress, path));
            return response.StatusCode == HttpStatusCode.OK ? await response.Content.ReadFromJsonAsync<JsonElement>() : null;
        }
        catch (HttpRequestException)
        {
            return null;
        }
    }

    private static async Task<string?> HolderAsync(NodeProcess node) =>
        await TryGetJsonAsync(node, "/nodes") is { } nodes && nodes.GetProperty("background_work").ValueKind == JsonValueKind.String
            ? nodes.GetProperty("background_work").GetString()
            : null;

    [Fact]
    public async Task killing_the_node_that_holds_the_background_work_moves_it_to_the_other()
    {
        var prefix = TestKeys.UniquePrefix();
        await using var a = StartNode("node-a", prefix);
        await using var b = StartNode("node-b", prefix);
        var nodes = new Dictionary<string, NodeProcess> { ["node-a"] = a, ["node-b"] = b };

        string? holder = null;
        await Poll.UntilAsync(async () =>
            await TryGetJsonAsync(a, "/nodes") is { } list && list.GetProperty("nodes").GetArrayLength() == 2
            && (holder = await HolderAsync(a)) is not null, Deadline, "both nodes registered and one holds the work");
        var listing = (await TryGetJsonAsync(b, "/nodes"))!.Value;
        Assert.Equal([holder], listing.GetProperty("nodes").EnumerateArray()
            .Where(n => n.GetProperty("holds_background_work").GetBoolean()).Select(n => n.GetProperty("id").GetString()));
        var survivorId = holder == "node-a" ? "node-b" : "node-a";
        var survivor = nodes[survivorId];

        // An event in the current window, so there is an active segment that only the background work seals
        // and then evicts once nobody writes.
        using (var append = await Http.PostAsJsonAsync(new Uri(survivor.BaseAddress, "/streams/work/events"),
            new { expectedVersion = "any", events = new[] { new { type = "t", data = new { n = 1 } } } }))
            Assert.Equal(HttpStatusCode.Created, append.StatusCode);
        var segment = (await TryGetJsonAsync(survivor, "/streams/work"))!.Value.GetProperty("segments")[0].GetString()!;

        await nodes[holder!].KillAsync();

        await Poll.UntilAsync(async () => await HolderAsync(survivor) == survivorId, Deadline, $"{survivorId} takes over the background work");
        // Sealing (window rotation with no writer) and retention now run on the survivor: the segment goes.
        await Poll.UntilAsync(async () =>
        {
            Assert.False(survivor.HasExited, $"{survivor} exited");
            using var response = await Http.GetAsync(new Uri(survivor.BaseAddress, $"/segments/{segment}"));
            return response.StatusCode == HttpStatusCode.NotFound;
        }, Deadline, $"the survivor sealed and evicted {segment}");
    }
}
