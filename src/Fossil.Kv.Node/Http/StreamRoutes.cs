using System.Text;

namespace Fossil.Kv.Node.Http;

/// <summary>
/// Stream names in paths may hold any character, <c>/</c> included (sent as <c>%2F</c>). Routing would
/// decode some escapes and not others, so the name is cut from the raw request target and decoded once.
/// </summary>
internal static class StreamRoutes
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>The request path exactly as sent, escapes and all, without the query.</summary>
    public static string RawPath(HttpContext context)
    {
        var target = context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpRequestFeature>()?.RawTarget ?? context.Request.Path.Value ?? "";
        var query = target.IndexOf('?', StringComparison.Ordinal);
        return query < 0 ? target : target[..query];
    }

    /// <summary>
    /// The raw path after <paramref name="prefix"/> (<c>/streams/</c>), e.g. <c>order-1/events</c>, or null when the
    /// path does not hold it. Endpoints decide on this rest, so a stream named <c>events</c> or <c>subscribe</c> is
    /// still a stream (<c>GET /streams/events</c> is its info, <c>GET /streams/events/events</c> its events).
    /// </summary>
    public static string? RestOfPath(HttpContext context, string prefix)
    {
        var path = RawPath(context);
        var start = path.IndexOf(prefix, StringComparison.OrdinalIgnoreCase);
        return start < 0 ? null : path[(start + prefix.Length)..];
    }

    /// <summary>Whether the raw path is <c>{prefix}{name}{suffix}</c> with a (possibly empty) name: <c>/streams/x/events</c> but not <c>/streams/events</c>.</summary>
    public static bool HasSuffix(HttpContext context, string prefix, string suffix) =>
        RestOfPath(context, prefix) is { } rest && rest.EndsWith(suffix, StringComparison.Ordinal);

    public static string StreamName(HttpContext context, string suffix) => NameInPath(context, "/streams/", suffix, "stream");

    /// <summary>The percent-decoded name between <paramref name="prefix"/> and <paramref name="suffix"/> of the raw path.</summary>
    public static string NameInPath(HttpContext context, string prefix, string suffix, string what)
    {
        var rest = RestOfPath(context, prefix);
        if (rest is null || !rest.EndsWith(suffix, StringComparison.Ordinal)) throw new InvalidRequestException($"The request path names no {what}.");
        return Decode(rest[..^suffix.Length], what);
    }

    /// <summary>
    /// Percent-decodes a path segment strictly: every <c>%</c> starts two hex digits and the bytes are UTF-8.
    /// (<see cref="Uri.UnescapeDataString(string)"/> leaves <c>%ZZ</c> or <c>%FF</c> as they are, so two spellings
    /// would name one stream and a Latin-1 escape would silently become its three characters.)
    /// </summary>
    internal static string Decode(string escaped, string what)
    {
        if (!escaped.Contains('%', StringComparison.Ordinal)) return escaped;
        var bytes = new byte[Encoding.UTF8.GetMaxByteCount(escaped.Length)];
        var length = 0;
        for (var i = 0; i < escaped.Length; i++)
        {
            if (escaped[i] != '%')
            {
                length += Encoding.UTF8.GetBytes(escaped.AsSpan(i, char.IsHighSurrogate(escaped[i]) && i + 1 < escaped.Length ? 2 : 1), bytes.AsSpan(length));
                if (char.IsHighSurrogate(escaped[i]) && i + 1 < escaped.Length) i++;
                continue;
            }
            if (i + 2 >= escaped.Length || !char.IsAsciiHexDigit(escaped[i + 1]) || !char.IsAsciiHexDigit(escaped[i + 2]))
                throw new InvalidRequestException($"The {what} name in the path is not valid percent-encoding ('%' must start two hex digits; send '%' itself as %25).");
            bytes[length++] = (byte)Convert.ToInt32(escaped.Substring(i + 1, 2), 16);
            i += 2;
        }
        try
        {
            return StrictUtf8.GetString(bytes, 0, length);
        }
        catch (DecoderFallbackException)
        {
            throw new InvalidRequestException($"The {what} name in the path is not percent-encoded UTF-8.");
        }
    }
}
