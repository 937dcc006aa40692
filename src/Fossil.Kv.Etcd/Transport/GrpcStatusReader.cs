using System.Globalization;
using System.Net;
using System.Net.Http.Headers;

namespace Fossil.Kv.Etcd.Transport;

/// <summary>Reads grpc-status / grpc-message from trailers or from a trailers-only response.</summary>
internal static class GrpcStatusReader
{
    public static bool TryGetStatus(HttpHeaders headers, out GrpcStatusCode code, out string? message)
    {
        code = GrpcStatusCode.Unknown;
        message = null;
        if (!headers.NonValidated.TryGetValues("grpc-status", out var statusValues)) return false;

        var raw = First(statusValues);
        code = int.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value is >= 0 and <= 16
            ? (GrpcStatusCode)value
            : GrpcStatusCode.Unknown;
        if (headers.NonValidated.TryGetValues("grpc-message", out var messageValues))
        {
            var encoded = First(messageValues);
            message = encoded is null ? null : Decode(encoded);
        }

        return true;
    }

    private static string? First(HeaderStringValues values)
    {
        foreach (var v in values) return v;
        return null;
    }

    /// <summary>grpc-message is percent-encoded UTF-8 (only when it needs to be).</summary>
    private static string Decode(string value)
    {
        if (!value.Contains('%', StringComparison.Ordinal)) return value;
        try
        {
            return Uri.UnescapeDataString(value);
        }
        catch (UriFormatException)
        {
            return value;
        }
    }

    /// <summary>
    /// A call answered with a non-200 HTTP status. etcd answers every gRPC call with 200 and a grpc-status, so
    /// such an answer comes from something else at that address (a proxy, another web server): etcd never saw
    /// the request, and another endpoint may well be etcd. Authentication refusals keep their meaning; any other
    /// status is Unavailable with nothing sent, so the client fails over instead of giving up on the first address.
    /// </summary>
    public static GrpcCallFailure FailureFromHttpStatus(HttpStatusCode status, object endpoint)
    {
        var code = FromHttpStatus(status);
        return code is GrpcStatusCode.Unauthenticated or GrpcStatusCode.PermissionDenied
            ? new GrpcCallFailure(code, $"HTTP status {(int)status} from {endpoint}", requestSent: true, fromServer: true)
            : new GrpcCallFailure(GrpcStatusCode.Unavailable, $"HTTP status {(int)status} from {endpoint}, which does not answer as etcd's gRPC API", requestSent: false);
    }

    /// <summary>A non-200 HTTP status as gRPC sees it (gRPC's HTTP to status mapping).</summary>
    public static GrpcStatusCode FromHttpStatus(HttpStatusCode status) => status switch
    {
        HttpStatusCode.BadRequest => GrpcStatusCode.Internal,
        HttpStatusCode.Unauthorized => GrpcStatusCode.Unauthenticated,
        HttpStatusCode.Forbidden => GrpcStatusCode.PermissionDenied,
        HttpStatusCode.NotFound => GrpcStatusCode.Unimplemented,
        HttpStatusCode.TooManyRequests or HttpStatusCode.BadGateway or HttpStatusCode.ServiceUnavailable
            or HttpStatusCode.GatewayTimeout => GrpcStatusCode.Unavailable,
        _ => GrpcStatusCode.Unknown,
    };
}
