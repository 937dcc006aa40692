using Fossil.Kv.Keyspace;

namespace Fossil.Kv.Tests.Keyspace;

public sealed class StreamNameTests
{
    [Theory]
    [InlineData("orders-42")]
    [InlineData("a/b")]
    [InlineData("100%")]
    [InlineData("ünïcödé €")]
    [InlineData("x")]
    public void valid_names_are_accepted(string stream) => Assert.Null(StreamName.Validate(stream));

    [Theory]
    [InlineData("", "empty")]
    [InlineData("tab\there", "control characters")]
    [InlineData("nul\0", "control characters")]
    [InlineData("del\u007f", "control characters")]
    [InlineData("c1\u0085", "control characters")]
    public void invalid_names_are_rejected_with_the_reason(string stream, string reason)
    {
        var problem = StreamName.Validate(stream);
        Assert.NotNull(problem);
        Assert.Contains(reason, problem, StringComparison.Ordinal);
    }

    [Fact]
    public void lone_surrogates_are_rejected()
    {
        // Built at run time: test-case serialization would replace the lone surrogate with U+FFFD.
        var stream = new string([(char)0xD800, 'x']);
        Assert.Contains("surrogate", StreamName.Validate(stream), StringComparison.Ordinal);
    }

    [Fact]
    public void names_are_limited_to_256_bytes_of_utf8()
    {
        Assert.Null(StreamName.Validate(new string('a', 256)));
        Assert.Contains("257 bytes", StreamName.Validate(new string('a', 257)), StringComparison.Ordinal);
        // 'é' is two bytes in UTF-8: 129 of them are 258 bytes though only 129 characters.
        Assert.Contains("258 bytes", StreamName.Validate(new string('é', 129)), StringComparison.Ordinal);
    }

    [Fact]
    public void unescape_rejects_text_escape_cannot_produce()
    {
        Assert.Null(StreamName.Unescape("a/b"));
        Assert.Null(StreamName.Unescape("a%2"));
        Assert.Null(StreamName.Unescape("a%41"));
        Assert.Equal("a/b%", StreamName.Unescape("a%2Fb%25"));
    }
}
