using System.Security.Cryptography;
using System.Text;

namespace Fossil.Kv.Node.Http;

/// <summary>One configured API key (<c>Fossil:Security:ApiKeys:N:Key</c> and <c>:Scopes</c>, e.g. <c>read,write</c>).</summary>
public sealed class ApiKeyOptions
{
    public string Key { get; set; } = "";

    /// <summary>Comma-separated: <c>read</c>, <c>write</c>, <c>admin</c> (admin grants everything).</summary>
    public string Scopes { get; set; } = "read";
}

/// <summary>
/// When API keys are configured, every request but the health checks must carry one
/// (<c>Authorization: Bearer &lt;key&gt;</c> or <c>X-Api-Key</c>) whose scopes cover the endpoint: reads need
/// <c>read</c>, appends <c>write</c>, configuration and segment administration <c>admin</c>.
/// </summary>
internal sealed class ApiKeyCheck
{
    private readonly (byte[] Key, HashSet<string> Scopes)[] _keys;

    /// <exception cref="InvalidOperationException">A configured entry has no key (a node meant to be closed would be open) or an unknown scope.</exception>
    public ApiKeyCheck(IEnumerable<ApiKeyOptions> keys)
    {
        var configured = keys.ToArray();
        // An entry whose key is blank (an environment variable that expanded to nothing, say) is a mistake, and skipping
        // it would leave the node open when it was the only one.
        if (Array.FindIndex(configured, k => string.IsNullOrWhiteSpace(k.Key)) is var blank and >= 0)
            throw new InvalidOperationException($"Fossil:Security:ApiKeys:{blank}:Key is empty; give every API key a value, or remove the entry.");
        _keys = [.. configured.Select(k => (Encoding.UTF8.GetBytes(k.Key),
            k.Scopes.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.OrdinalIgnoreCase)))];
        foreach (var scope in _keys.SelectMany(k => k.Scopes))
            if (scope is not ("read" or "write" or "admin"))
                throw new InvalidOperationException($"Fossil:Security:ApiKeys has unknown scope '{scope}' (use read, write or admin).");
    }

    public bool Enabled => _keys.Length > 0;

    /// <summary>Null when the request may go on, otherwise the status and error code to answer with.</summary>
    public (int Status, string Error, string Message)? Check(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "";
        if (!Enabled || path.StartsWith("/health/", StringComparison.Ordinal)) return null;
        var presented = Presented(context.Request);
        if (presented is null) return (401, "unauthorized", "This node requires an API key: send 'Authorization: Bearer <key>' or 'X-Api-Key'.");
        var bytes = Encoding.UTF8.GetBytes(presented);
        var match = _keys.FirstOrDefault(k => CryptographicOperations.FixedTimeEquals(k.Key, bytes));
        if (match.Key is null) return (401, "unauthorized", "The API key is not known to this node.");
        var needed = RequiredScope(context.Request.Method, path);
        return match.Scopes.Contains("admin") || match.Scopes.Contains(needed)
            ? null
            : (403, "forbidden", $"The API key lacks the '{needed}' scope this request needs.");
    }

    private static string? Presented(HttpRequest request)
    {
        var authorization = request.Headers.Authorization.ToString();
        if (authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return authorization[7..].Trim();
        var header = request.Headers["X-Api-Key"].ToString();
        return header.Length > 0 ? header : null;
    }

    private static string RequiredScope(string method, string path)
    {
        if (path.StartsWith("/meta/", StringComparison.Ordinal) && method != "GET") return "admin";
        if (path.StartsWith("/segments", StringComparison.Ordinal) && method != "GET") return "admin";
        if (method == "POST" && (path.StartsWith("/streams/", StringComparison.Ordinal) || path == "/append")) return "write";
        return "read";
    }
}
