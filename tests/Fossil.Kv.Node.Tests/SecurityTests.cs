using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace Fossil.Kv.Node.Tests;

/// <summary>A node with one key per scope: <c>reader-key</c> (read), <c>writer-key</c> (write), <c>admin-key</c> (admin).</summary>
public sealed class ApiKeyNodeFixture() : NodeFixture(
    "--Fossil:Security:ApiKeys:0:Key=reader-key", "--Fossil:Security:ApiKeys:0:Scopes=read",
    "--Fossil:Security:ApiKeys:1:Key=writer-key", "--Fossil:Security:ApiKeys:1:Scopes=write",
    "--Fossil:Security:ApiKeys:2:Key=admin-key", "--Fossil:Security:ApiKeys:2:Scopes=admin");

/// <summary>
/// API keys on every endpoint class: no key or an unknown key is 401 <c>unauthorized</c>, a key without the
/// endpoint's scope is 403 <c>forbidden</c> naming the scope, both with the contract's error body; a key
/// with the scope (or <c>admin</c>) gets through. Health checks need no key.
/// </summary>
public sealed class ApiKeyScopeTests(ApiKeyNodeFixture node) : IClassFixture<ApiKeyNodeFixture>
{
    private const string Unknown = "20200101T000000Z-p00-g000";

    /// <summary>Every route of SPEC §4 this node serves, with the scope it needs and a key that lacks it.</summary>
    public static TheoryData<string, string, string, string> Routes => new()
    {
        { "GET", "/streams/{s}", "read", "writer-key" },
        { "GET", "/streams/{s}/events", "read", "writer-key" },
        { "GET", "/streams/{s}/subscribe", "read", "writer-key" },
        { "GET", "/all/events", "read", "writer-key" },
        { "GET", "/all/subscribe", "read", "writer-key" },
        { "GET", "/segments", "read", "writer-key" },
        { "GET", $"/segments/{Unknown}", "read", "writer-key" },
        { "GET", "/nodes", "read", "writer-key" },
        { "GET", "/meta/config", "read", "writer-key" },
        { "GET", "/metrics", "read", "writer-key" },
        { "POST", "/streams/{s}/events", "write", "reader-key" },
        { "POST", "/append", "write", "reader-key" },
        { "PUT", "/meta/config", "admin", "writer-key" },
        { "POST", $"/segments/{Unknown}/seal", "admin", "reader-key" },
        { "DELETE", $"/segments/{Unknown}", "admin", "writer-key" },
    };

    [Theory]
    [MemberData(nameof(Routes))]
    public async Task every_route_needs_a_known_key_with_its_scope(string method, string path, string scope, string lacking)
    {
        var stream = $"secure-{Guid.NewGuid():N}";

        var missing = await SendAsync(method, path, stream, key: null);
        var unknown = await SendAsync(method, path, stream, key: "not-a-key");
        var forbidden = await SendAsync(method, path, stream, key: lacking);
        var allowed = await SendAsync(method, path, stream, key: scope switch { "read" => "reader-key", "write" => "writer-key", _ => "admin-key" });
        var asAdmin = await SendAsync(method, path, $"{stream}-admin", key: "admin-key", header: "X-Api-Key");

        AssertRefused(missing, HttpStatusCode.Unauthorized, "unauthorized", "requires an API key");
        AssertRefused(unknown, HttpStatusCode.Unauthorized, "unauthorized", "not known");
        AssertRefused(forbidden, HttpStatusCode.Forbidden, "forbidden", $"'{scope}' scope");
        AssertAllowed(allowed);
        AssertAllowed(asAdmin);
    }

    [Theory]
    [InlineData("/health/live")]
    [InlineData("/health/ready")]
    public async Task health_checks_need_no_key(string path)
    {
        using var response = await node.Http.GetAsync(new Uri(path, UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private static void AssertRefused((HttpStatusCode Status, string Body) response, HttpStatusCode status, string error, string mention)
    {
        Assert.True(response.Status == status, $"expected {(int)status}, got {(int)response.Status}: {response.Body}");
        var body = JsonNode.Parse(response.Body)!;
        Assert.Equal(error, body["error"]!.GetValue<string>());
        Assert.Contains(mention, body["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    private static void AssertAllowed((HttpStatusCode Status, string Body) response) =>
        Assert.True(response.Status is not (HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden) && (int)response.Status < 500,
            $"refused with the right key: {(int)response.Status} {response.Body}");

    private async Task<(HttpStatusCode Status, string Body)> SendAsync(string method, string path, string stream, string? key, string header = "Authorization")
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path.Replace("{s}", stream, StringComparison.Ordinal));
        if (key is not null)
        {
            if (header == "Authorization") request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
            else request.Headers.Add(header, key);
        }
        var body = (method, path) switch
        {
            ("POST", "/append") => $$"""{"streams":[{"stream":"{{stream}}","events":[{"type":"t"}]}]}""",
            ("POST", "/streams/{s}/events") => """{"events":[{"type":"t"}]}""",
            ("PUT", _) => """{"segment.retention":"30d"}""",
            _ => null,
        };
        if (body is not null) request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        // Subscriptions answer with headers and then stay open: the status is all this test needs.
        using var response = await node.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        if (response.Content.Headers.ContentType?.MediaType == "text/event-stream") return (response.StatusCode, "");
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }
}

/// <summary>
/// The node against an etcd that demands credentials, end to end: over https with a client certificate
/// (<c>--client-cert-auth</c>), and over https with a user and password; and what an operator sees when
/// the node lacks the CA or has the wrong password. Certificates are made by openssl for the test.
/// </summary>
public sealed class SecuredEtcdNodeTests(SecuredEtcdFixture etcd) : IClassFixture<SecuredEtcdFixture>
{
    [Fact]
    public async Task a_node_appends_and_reads_through_etcd_over_mutual_tls()
    {
        var certificates = etcd.MutualTls.Certificates;
        var prefix = TestKeys.UniquePrefix();

        await using var node = await StartAsync(etcd.MutualTls.Endpoint, prefix, "/health/ready",
            $"--Fossil:Etcd:CaCertificateFile={certificates.CaFile}",
            $"--Fossil:Etcd:ClientCertificateFile={certificates.ClientCertificateFile}",
            $"--Fossil:Etcd:ClientKeyFile={certificates.ClientKeyFile}");

        await AssertServesAsync(node.Http);
        var keys = await etcd.MutualTls.EtcdctlAsync("get", "--prefix", prefix + "/s/", "--keys-only");
        Assert.Contains(prefix + "/s/", keys, StringComparison.Ordinal);
    }

    [Fact]
    public async Task a_node_authenticates_to_etcd_with_a_username_and_password()
    {
        var prefix = TestKeys.UniquePrefix();

        await using var node = await StartAsync(etcd.PasswordAuth.Endpoint, prefix, "/health/ready",
            $"--Fossil:Etcd:CaCertificateFile={etcd.PasswordAuth.Certificates.CaFile}",
            $"--Fossil:Etcd:Username={SecuredEtcdFixture.User}", $"--Fossil:Etcd:Password={SecuredEtcdFixture.Password}");

        await AssertServesAsync(node.Http);
        var keys = await etcd.PasswordAuthEtcdctlAsync("get", "--prefix", prefix + "/s/", "--keys-only");
        Assert.Contains(prefix + "/s/", keys, StringComparison.Ordinal);
    }

    [Fact]
    public async Task a_node_that_does_not_trust_the_etcd_certificate_stops_with_an_error_naming_it()
    {
        // Not waited on: it may stop before it ever answers.
        await using var node = await StartAsync(etcd.MutualTls.Endpoint, TestKeys.UniquePrefix(), waitFor: null);

        await AssertStopsAsync(node.Process, "remote certificate is invalid");
    }

    [Fact]
    public async Task a_node_with_the_wrong_etcd_password_stops_with_an_error_naming_it()
    {
        await using var node = await StartAsync(etcd.PasswordAuth.Endpoint, TestKeys.UniquePrefix(), waitFor: null,
            $"--Fossil:Etcd:CaCertificateFile={etcd.PasswordAuth.Certificates.CaFile}",
            $"--Fossil:Etcd:Username={SecuredEtcdFixture.User}", "--Fossil:Etcd:Password=wrong");

        await AssertStopsAsync(node.Process, "authentication failed");
    }

    /// <summary>The node gives up on an etcd it cannot use: a non-zero exit and one <c>error:</c> line naming the cause.</summary>
    private static async Task AssertStopsAsync(NodeProcess node, string cause)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await node.WaitForExitAsync(timeout.Token);

        Assert.NotEqual(0, node.ExitCode);
        var error = node.Output.Split('\n').SingleOrDefault(line => line.StartsWith("error: the node stopped: ", StringComparison.Ordinal));
        Assert.True(error is not null, node.Output);
        Assert.Contains(cause, error, StringComparison.Ordinal);
    }

    private static async Task AssertServesAsync(HttpClient http)
    {
        var stream = $"secure-{Guid.NewGuid():N}";
        using var appended = await http.PostAsync(new Uri($"/streams/{stream}/events", UriKind.Relative),
            new StringContent("""{"expectedVersion":"no_stream","events":[{"type":"t","data":{"n":1}}]}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Created, appended.StatusCode);
        var page = JsonNode.Parse(await http.GetStringAsync(new Uri($"/streams/{stream}/events", UriKind.Relative)))!;
        Assert.Equal(1, page["events"]![0]!["data"]!["n"]!.GetValue<int>());
    }

    /// <summary>Starts a node and waits until <paramref name="waitFor"/> answers 200 (null: does not wait).</summary>
    private static async Task<RunningNode> StartAsync(string endpoint, string prefix, string? waitFor, params string[] arguments)
    {
        var directory = Directory.CreateTempSubdirectory("fossil-secure-node-").FullName;
        var process = NodeProcess.Start(directory, [$"--Fossil:Etcd:Endpoints={endpoint}", $"--Fossil:RootPrefix={prefix}", .. arguments]);
        var node = new RunningNode(process, new HttpClient { BaseAddress = process.BaseAddress, Timeout = TimeSpan.FromSeconds(30) }, directory);
        try
        {
            if (waitFor is null) return node;
            await Poll.UntilAsync(async () =>
            {
                Assert.False(process.HasExited, $"the node exited while starting: {process.Output}");
                try
                {
                    using var response = await node.Http.GetAsync(new Uri(waitFor, UriKind.Relative));
                    return response.StatusCode == HttpStatusCode.OK;
                }
                catch (HttpRequestException)
                {
                    return false;
                }
            }, TimeSpan.FromSeconds(60), $"the node answers {waitFor}");
            return node;
        }
        catch
        {
            await node.DisposeAsync();
            throw;
        }
    }

    private sealed record RunningNode(NodeProcess Process, HttpClient Http, string Directory) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            Http.Dispose();
            await Process.DisposeAsync();
            try { System.IO.Directory.Delete(Directory, recursive: true); }
            catch (IOException) { /* the OS cleans the temp dir */ }
        }
    }
}
