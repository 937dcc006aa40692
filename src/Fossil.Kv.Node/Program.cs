using Fossil.Kv.Node.Hosting;

var builder = WebApplication.CreateBuilder(args);

// Loopback only unless the operator asks for more (--urls, ASPNETCORE_URLS, Kestrel config).
if (string.IsNullOrEmpty(builder.Configuration["urls"]) && !builder.Configuration.GetSection("Kestrel:Endpoints").Exists())
    builder.WebHost.UseUrls("http://127.0.0.1:5080");

using var startupLoggers = LoggerFactory.Create(logging => logging.AddConsole());
var endpoints = builder.Configuration["Fossil:Etcd:Endpoints"];
EmbeddedEtcd? embedded = null;
if (string.IsNullOrWhiteSpace(endpoints))
{
    var options = builder.Configuration.GetSection(EmbeddedEtcdOptions.Section).Get<EmbeddedEtcdOptions>() ?? new EmbeddedEtcdOptions();
    embedded = await EmbeddedEtcd.StartAsync(options, startupLoggers.CreateLogger<EmbeddedEtcd>());
    endpoints = embedded.ClientUrl.AbsoluteUri.TrimEnd('/');
    builder.Configuration["Fossil:Etcd:Endpoints"] = endpoints;
}

var app = builder.Build();
var etcdEndpoints = endpoints.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(e => new Uri(e)).ToArray();
using var health = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };

app.MapGet("/health/live", () => Results.Ok(new { status = "live" }));
app.MapGet("/health/ready", async () =>
{
    foreach (var endpoint in etcdEndpoints)
    {
        try
        {
            var body = await health.GetStringAsync(new Uri(endpoint, "/health"));
            if (body.Contains("\"health\":\"true\"", StringComparison.Ordinal))
                return Results.Ok(new { status = "ready", etcd = endpoint.AbsoluteUri });
        }
        catch (HttpRequestException) { }
        catch (TaskCanceledException) { }
    }
    return Results.Json(new { error = "unavailable", message = "etcd is not reachable at " + string.Join(", ", etcdEndpoints.Select(e => e.AbsoluteUri)) }, statusCode: 503);
});

try
{
    await app.RunAsync();
}
finally
{
    if (embedded is not null) await embedded.DisposeAsync();
}
