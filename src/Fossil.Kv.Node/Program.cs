using Fossil.Kv;
using Fossil.Kv.Keyspace;
using Fossil.Kv.Node;
using Fossil.Kv.Node.Hosting;
using Fossil.Kv.Node.Http;

// appsettings.json ships beside the node's binary; the working directory (where ./data goes) may be anywhere,
// such as the repository root for the README's run command.
var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });

// Loopback only unless the operator asks for more (--urls, ASPNETCORE_URLS, Kestrel config).
if (string.IsNullOrEmpty(builder.Configuration["urls"]) && !builder.Configuration.GetSection("Kestrel:Endpoints").Exists())
    builder.WebHost.UseUrls("http://127.0.0.1:5080");
builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = RequestBody.MaxBytes);

// Settings are checked before anything starts: a bad value stops the node with one clear line.
NodeOptions nodeOptions;
ApiKeyCheck apiKeys;
try
{
    var configured = new FossilOptions();
    FossilConfiguration.Bind(builder.Configuration, configured);
    configured.ToSeedSettings();
    configured.Etcd.ValidateEndpoints();
    if (KeyLayout.RootPrefixProblem(configured.RootPrefix) is { } prefixProblem)
        throw new InvalidOperationException($"Fossil:RootPrefix {prefixProblem}");
    apiKeys = new ApiKeyCheck(builder.Configuration.GetSection("Fossil:Security:ApiKeys").Get<List<ApiKeyOptions>>() ?? []);
    nodeOptions = NodeOptions.From(builder.Configuration);
    // Last: the only check that writes (it makes the directories).
    EnsureWritableDirectory("Fossil:Segment:Directory", configured.Segment.Directory);
    if (configured.Segment.Archive is { Length: > 0 } archive) EnsureWritableDirectory("Fossil:Segment:Archive", archive);
}
catch (Exception e) when (e is InvalidRequestException or InvalidOperationException or FormatException or ArgumentException)
{
    await Console.Error.WriteLineAsync($"error: invalid configuration: {e.Message}");
    return 1;
}

using var startupLoggers = LoggerFactory.Create(logging => logging.AddConsole());
EmbeddedEtcd? embedded = null;
if (string.IsNullOrWhiteSpace(builder.Configuration["Fossil:Etcd:Endpoints"]) && !builder.Configuration.GetSection("Fossil:Etcd:Endpoints").GetChildren().Any())
{
    var options = builder.Configuration.GetSection(EmbeddedEtcdOptions.Section).Get<EmbeddedEtcdOptions>() ?? new EmbeddedEtcdOptions();
    try
    {
        embedded = await EmbeddedEtcd.StartAsync(options, startupLoggers.CreateLogger<EmbeddedEtcd>());
    }
    catch (Exception e) when (e is InvalidOperationException or TimeoutException or IOException or UnauthorizedAccessException or System.ComponentModel.Win32Exception)
    {
        // A port in use, a data directory another node's etcd holds, no etcd binary: one line, like a bad setting.
        await Console.Error.WriteLineAsync($"error: the embedded etcd did not start: {e.Message}");
        return 1;
    }
    builder.Configuration["Fossil:Etcd:Endpoints"] = embedded.ClientUrl.AbsoluteUri.TrimEnd('/');
}

builder.Services.AddFossilKv(builder.Configuration);
builder.Services.AddSingleton(nodeOptions);
builder.Services.AddHostedService<NodeBackgroundService>();
builder.Services.AddSingleton(_ => new PrometheusMetrics(EventStore.MeterName, NodeMetrics.MeterName, Fossil.Kv.Etcd.EtcdClient.MeterName));
builder.Services.AddSingleton<NodeMetrics>();
var app = builder.Build();
// Answers routing makes without a body (404 no such endpoint, 405 wrong method) still get the error shape.
app.UseStatusCodePages(context => ApiErrors.WriteStatusOnlyAsync(context.HttpContext));
// Listen from the start: measurements made before the first scrape would otherwise be lost.
app.Services.GetRequiredService<PrometheusMetrics>();

app.Use(async (context, next) =>
{
    if (apiKeys.Check(context) is { } refusal)
    {
        context.Response.StatusCode = refusal.Status;
        await context.Response.WriteAsJsonAsync(new { error = refusal.Error, message = refusal.Message });
        return;
    }
    await next(context);
});

app.Use(async (context, next) =>
{
    try
    {
        await next(context);
    }
    catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
    {
        // The client went away; there is no one to answer.
    }
    catch (Exception e)
    {
        if (e is not FossilException) NodeLog.RequestFailed(app.Logger, context.Request.Method, context.Request.Path, e);
        await ApiErrors.WriteAsync(context, e);
    }
});

StreamEndpoints.Map(app);
AllEndpoints.Map(app);
SearchEndpoints.Map(app);
EntityEndpoints.Map(app);
AdminEndpoints.Map(app);
app.MapGet("/metrics", async (HttpContext context, PrometheusMetrics metrics, NodeMetrics node) =>
{
    await node.RefreshSegmentGaugesAsync(context.RequestAborted);
    context.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
    await context.Response.WriteAsync(metrics.Render(), context.RequestAborted);
});

// Resolved now: once the host is disposed they can no longer be asked how they ended.
var backgroundServices = app.Services.GetServices<IHostedService>().OfType<BackgroundService>().ToArray();
var started = false;
app.Lifetime.ApplicationStarted.Register(() => started = true);
try
{
    await app.RunAsync();
}
catch (Exception e) when (e is IOException or FormatException or UriFormatException or ArgumentException or InvalidOperationException
    && !backgroundServices.Any(s => s.ExecuteTask?.IsFaulted == true))
{
    // Kestrel could not listen (a port in use, a malformed --urls) or the store's options were refused as it was built
    // (an etcd endpoint that is not http(s)://host:port): one line and exit 1, like a bad setting, not a crash.
    await Console.Error.WriteLineAsync($"error: the node {(started ? "stopped" : "did not start")}: {e.Message}");
    return 1;
}
finally
{
    // The store finishes in-flight appends before the embedded etcd under it stops.
    await app.DisposeAsync();
    if (embedded is not null) await embedded.DisposeAsync();
}
// A background service that failed (e.g. etcd refused the configured credentials) stopped the host: say why
// and exit non-zero, so a supervisor sees a failure rather than a clean stop.
if (backgroundServices.Select(s => s.ExecuteTask?.Exception?.InnerException).FirstOrDefault(e => e is not null) is { } failure)
{
    // The root cause (a TLS handshake, a refused password) is often only in the innermost exception.
    var cause = failure.GetBaseException().Message;
    await Console.Error.WriteLineAsync($"error: the node stopped: {failure.Message}{(failure.Message.Contains(cause, StringComparison.Ordinal) ? "" : $" ({cause})")}");
    return 1;
}
return 0;

// A directory the node cannot write would only show up later, as background work failing round after round while the
// node reports ready: found at start, it is a bad setting like any other.
static void EnsureWritableDirectory(string setting, string path)
{
    try
    {
        Directory.CreateDirectory(path);
        var probe = Path.Combine(path, $".write-check-{Environment.ProcessId}");
        File.WriteAllBytes(probe, []);
        File.Delete(probe);
    }
    catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException)
    {
        throw new InvalidOperationException($"{setting} '{Path.GetFullPath(path)}' is not a directory this node can write ({e.Message})", e);
    }
}
