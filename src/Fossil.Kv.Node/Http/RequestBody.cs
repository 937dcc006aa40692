namespace Fossil.Kv.Node.Http;

internal static class RequestBody
{
    /// <summary>
    /// Largest body accepted: the biggest append that fits one etcd request, JSON-escaped, with room to spare.
    /// Larger bodies are refused with 413 before they are read in full.
    /// </summary>
    public const long MaxBytes = 8L * 1024 * 1024;

    public static async Task<ReadOnlyMemory<byte>> ReadAsync(HttpContext context)
    {
        if (context.Request.ContentLength is > MaxBytes) throw TooLarge();
        if (context.Request.ContentLength is { } declared and > 0)
        {
            // The usual case: one array of the declared size, read straight into; the events' data points into it.
            var body = new byte[declared];
            var got = await context.Request.Body.ReadAtLeastAsync(body, body.Length, throwOnEndOfStream: false, context.RequestAborted);
            if (got < body.Length) throw new InvalidRequestException($"The request body ended after {got} of its {declared} declared bytes.");
            return body;
        }
        using var buffer = new MemoryStream(context.Request.ContentLength is { } length ? (int)length : 4096);
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await context.Request.Body.ReadAsync(chunk, context.RequestAborted)) > 0)
        {
            if (buffer.Length + read > MaxBytes) throw TooLarge();
            buffer.Write(chunk, 0, read);
        }
        if (buffer.Length == 0) throw new InvalidRequestException("The request has no body; send a JSON object.");
        return buffer.GetBuffer().AsMemory(0, (int)buffer.Length);
    }

    private static AppendTooLargeException TooLarge() => new($"The request body is over {MaxBytes} bytes.", MaxBytes);
}
