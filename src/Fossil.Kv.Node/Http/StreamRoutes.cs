namespace Fossil.Kv.Node.Http;

/// <summary>
/// Stream names in paths may hold any character, <c>/</c> included (sent as <c>%2F</c>). Routing would
/// decode some escapes and not others, so the name is cut from the raw request target and decoded once.
/// </summary>
internal static class StreamRoutes
{
    /// <summary>The request path exactly as sent, escapes and all, without the query.</summary>
    public static string RawPath(HttpContext context)
    {
        var target = context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpRequestFeature>()?.RawTarget ?? context.Request.Path.Value ?? "";
        var query = target.IndexOf('?', StringComparison.Ordinal);
        return query < 0 ? target : target[..query];
    }

    public static string StreamName(HttpContext context, string suffix) => NameInPath(context, "/streams/", suffix, "stream");

    /// <summary>The percent-decoded name between <paramref name="prefix"/> and <paramref name="suffix"/> of the raw path.</summary>
    public static string NameInPath(HttpContext context, string prefix, string suffix, string what)
    {
        var path = RawPath(context);
        var start = path.IndexOf(prefix, StringComparison.Ordinal);
        var end = suffix.Length == 0 ? path.Length : path.LastIndexOf(suffix, StringComparison.Ordinal);
        if (start < 0 || end < start + prefix.Length) throw new InvalidRequestException($"The request path names no {what}.");
        try
        {
            return Uri.UnescapeDataString(path[(start + prefix.Length)..end]);
        }
        catch (UriFormatException)
        {
            throw new InvalidRequestException($"The {what} name in the path is not valid percent-encoding.");
        }
    }
}
