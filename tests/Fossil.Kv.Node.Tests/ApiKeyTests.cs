using System.Net;
using System.Text;

namespace Fossil.Kv.Node.Tests;

[Collection(EtcdCollection.Name)]
public sealed class ApiKeyTests(EtcdFixture etcd)
{
    [Fact]
    public async Task configured_api_keys_are_required_and_their_scopes_enforced()
    {
        var endpoints = string.Join(',', etcd.Endpoints.Select(e => e.AbsoluteUri.TrimEnd('/')));
        await using var node = NodeProcess.Start(Path.GetTempPath(),
            $"--Fossil:Etcd:Endpoints={endpoints}", $"--Fossil:RootPrefix={TestKeys.UniquePrefix()}",
            "--Fossil:Security:ApiKeys:0:Key=reader-key", "--Fossil:Security:ApiKeys:0:Scopes=read",
            "--Fossil:Security:ApiKeys:1:Key=writer-key", "--Fossil:Security:ApiKeys:1:Scopes=read,write");
        using var http = new HttpClient { BaseAddress = node.BaseAddress };
        await Poll.UntilAsync(async () =>
        {
            try { return (await http.GetAsync(new Uri("/health/ready", UriKind.Relative))).StatusCode == HttpStatusCode.OK; }
            catch (HttpRequestException) { return false; }
        }, TimeSpan.FromSeconds(60), "the node is ready without a key");

        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(http, HttpMethod.Get, "/streams/s/events", key: null));
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(http, HttpMethod.Get, "/streams/s/events", key: "wrong"));
        Assert.Equal(HttpStatusCode.Forbidden, await StatusAsync(http, HttpMethod.Post, "/streams/s/events", key: "reader-key"));
        Assert.Equal(HttpStatusCode.Created, await StatusAsync(http, HttpMethod.Post, "/streams/s/events", key: "writer-key"));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(http, HttpMethod.Get, "/streams/s/events", key: "reader-key"));
        Assert.Equal(HttpStatusCode.Forbidden, await StatusAsync(http, HttpMethod.Put, "/meta/config", key: "writer-key"));
    }

    private static async Task<HttpStatusCode> StatusAsync(HttpClient http, HttpMethod method, string path, string? key)
    {
        using var request = new HttpRequestMessage(method, path);
        if (key is not null) request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
        if (method != HttpMethod.Get)
            request.Content = new StringContent(method == HttpMethod.Put ? """{"segment.retention":"7d"}""" : """{"events":[{"type":"t"}]}""", Encoding.UTF8, "application/json");
        using var response = await http.SendAsync(request);
        return response.StatusCode;
    }
}
