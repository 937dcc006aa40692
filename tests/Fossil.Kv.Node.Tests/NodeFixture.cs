using System.Net;

namespace Fossil.Kv.Node.Tests;

/// <summary>One node process for a test collection, on a real etcd, under a root prefix of its own.</summary>
public class NodeFixture : IAsyncLifetime
{
    private readonly EtcdFixture _etcd = new();
    private readonly string[] _arguments;
    private NodeProcess? _node;

    public NodeFixture()
        : this([])
    {
    }

    /// <summary>A node started with <paramref name="arguments"/> added to its command line (API keys, ...).</summary>
    protected NodeFixture(params string[] arguments) => _arguments = arguments;

    public HttpClient Http { get; private set; } = null!;

    public IReadOnlyList<Uri> EtcdEndpoints => _etcd.Endpoints;

    /// <summary>The node's <c>Fossil:RootPrefix</c>: every key it writes starts with it.</summary>
    public string RootPrefix { get; } = TestKeys.UniquePrefix("node");

    /// <summary>The node's working directory, of its own, so its <c>./data/segments</c> is too.</summary>
    public string WorkingDirectory { get; } = Directory.CreateTempSubdirectory("fossil-node-").FullName;

    public async Task InitializeAsync()
    {
        await _etcd.InitializeAsync();
        var endpoints = string.Join(',', _etcd.Endpoints.Select(e => e.AbsoluteUri.TrimEnd('/')));
        _node = NodeProcess.Start(WorkingDirectory, [$"--Fossil:Etcd:Endpoints={endpoints}", $"--Fossil:RootPrefix={RootPrefix}", .. _arguments]);
        Http = new HttpClient { BaseAddress = _node.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        await Poll.UntilAsync(async () =>
        {
            Assert.False(_node.HasExited, "the node exited while starting");
            try
            {
                using var response = await Http.GetAsync(new Uri("/health/ready", UriKind.Relative));
                return response.StatusCode == HttpStatusCode.OK;
            }
            catch (HttpRequestException)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(60), "the node is ready");
    }

    public async Task DisposeAsync()
    {
        Http.Dispose();
        if (_node is not null) await _node.DisposeAsync();
        await _etcd.DisposeAsync();
        try { Directory.Delete(WorkingDirectory, recursive: true); }
        catch (IOException) { /* the OS cleans the temp dir */ }
    }
}
