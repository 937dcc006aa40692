using System.Buffers;
using System.Text;

namespace Fossil.Kv.Keyspace;

/// <summary>
/// Stream names as the contract allows them (1–256 bytes of UTF-8, no control characters) and their
/// escaped form inside keys. Escaping makes an encoded name free of <c>/</c>, so the key prefix of one
/// stream is never a prefix of another's: <c>a</c> and <c>a/b</c> never share entries.
/// </summary>
public static class StreamName
{
    /// <summary>Longest stream name, in bytes of UTF-8 (not characters).</summary>
    public const int MaxBytes = 256;

    private static readonly SearchValues<char> NeedsEscape = SearchValues.Create("%/");

    /// <summary>Returns null when the name is valid, otherwise a message naming the problem.</summary>
    public static string? Validate(string? stream)
    {
        if (string.IsNullOrEmpty(stream)) return "stream name must not be empty";
        for (var i = 0; i < stream.Length; i++)
        {
            var c = stream[i];
            if (char.IsControl(c)) return $"stream name must not contain control characters (found U+{(int)c:X4} at index {i})";
            if (char.IsHighSurrogate(c) && (i + 1 >= stream.Length || !char.IsLowSurrogate(stream[i + 1])) || char.IsLowSurrogate(c) && (i == 0 || !char.IsHighSurrogate(stream[i - 1])))
                return $"stream name is not valid UTF-16/UTF-8 (lone surrogate at index {i})";
        }
        var bytes = Encoding.UTF8.GetByteCount(stream);
        return bytes > MaxBytes ? $"stream name is {bytes} bytes of UTF-8; the limit is {MaxBytes}" : null;
    }

    /// <summary>Throws <see cref="InvalidStreamNameException"/> unless the name is valid.</summary>
    public static void EnsureValid(string? stream)
    {
        if (Validate(stream) is { } problem) throw new InvalidStreamNameException(stream, problem);
    }

    /// <summary>The name as it appears in keys: UTF-8 with <c>%</c> and <c>/</c> percent-escaped.</summary>
    public static string Escape(string stream)
    {
        if (stream.AsSpan().IndexOfAny(NeedsEscape) < 0) return stream;
        var builder = new StringBuilder(stream.Length + 8);
        foreach (var c in stream)
        {
            builder.Append(c switch
            {
                '%' => "%25",
                '/' => "%2F",
                _ => c.ToString(),
            });
        }
        return builder.ToString();
    }

    /// <summary>Inverse of <see cref="Escape"/>; returns null for text <see cref="Escape"/> cannot produce.</summary>
    public static string? Unescape(string escaped)
    {
        if (!escaped.Contains('%', StringComparison.Ordinal)) return escaped.Contains('/', StringComparison.Ordinal) ? null : escaped;
        var builder = new StringBuilder(escaped.Length);
        for (var i = 0; i < escaped.Length; i++)
        {
            var c = escaped[i];
            if (c == '/') return null;
            if (c != '%')
            {
                builder.Append(c);
                continue;
            }
            if (i + 2 >= escaped.Length) return null;
            var code = escaped.AsSpan(i + 1, 2);
            if (code.SequenceEqual("25")) builder.Append('%');
            else if (code.SequenceEqual("2F")) builder.Append('/');
            else return null;
            i += 2;
        }
        return builder.ToString();
    }
}
