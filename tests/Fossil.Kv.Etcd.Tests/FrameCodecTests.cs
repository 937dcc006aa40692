using System.Buffers.Binary;
using Etcdserverpb;
using Fossil.Kv.Etcd.Transport;
using Google.Protobuf;
using Mvccpb;

namespace Fossil.Kv.Etcd.Tests;

public sealed class FrameCodecTests
{
    private const int MaxMessage = 1 << 20;

    /// <summary>A stream that hands out its bytes in random small reads, like a network does.</summary>
    private sealed class ChunkedStream(byte[] data, Random random) : MemoryStream(data)
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(buffer.Length, random.Next(1, 17))], cancellationToken);
    }

    private static byte[] Frame(IMessage message)
    {
        var payload = message.ToByteArray();
        var frame = new byte[GrpcFrame.HeaderSize + payload.Length];
        GrpcFrame.WriteHeader(frame, payload.Length);
        payload.CopyTo(frame, GrpcFrame.HeaderSize);
        return frame;
    }

    private static async Task<List<WatchResponse>> ReadAllAsync(Stream stream, int maxMessage = MaxMessage)
    {
        using var reader = new GrpcStreamReader(stream, maxMessage);
        var messages = new List<WatchResponse>();
        while (await reader.ReadMessageAsync(WatchResponse.Parser, CancellationToken.None) is { } message) messages.Add(message);
        return messages;
    }

    private static WatchResponse Sample(int i, int valueSize) => new()
    {
        Header = new ResponseHeader { Revision = i },
        WatchId = i,
        Events = { new Event { Kv = new KeyValue { Key = ByteString.CopyFromUtf8($"/k/{i}"), ModRevision = i, Value = ByteString.CopyFrom(new byte[valueSize]) } } },
    };

    [Fact]
    public async Task frames_split_across_random_reads_decode_to_the_same_messages()
    {
        var random = new Random(42);
        for (var round = 0; round < 200; round++)
        {
            var messages = Enumerable.Range(1, random.Next(1, 8)).Select(i => Sample(i, random.Next(0, 9000))).ToList();
            var bytes = messages.SelectMany(Frame).ToArray();

            var decoded = await ReadAllAsync(new ChunkedStream(bytes, random));

            Assert.Equal(messages, decoded);
        }
    }

    [Fact]
    public async Task empty_message_frame_decodes_to_a_default_message()
    {
        var decoded = await ReadAllAsync(new MemoryStream(new byte[] { 0, 0, 0, 0, 0 }));
        Assert.Equal(new WatchResponse(), Assert.Single(decoded));
    }

    [Fact]
    public async Task truncated_frame_fails_with_protocol_error()
    {
        var frame = Frame(Sample(1, 100));
        await Assert.ThrowsAsync<EtcdProtocolException>(() => ReadAllAsync(new MemoryStream(frame[..^1])));
        await Assert.ThrowsAsync<EtcdProtocolException>(() => ReadAllAsync(new MemoryStream(frame[..3])));
    }

    [Fact]
    public async Task compressed_flag_and_oversized_length_fail_with_protocol_error()
    {
        var compressed = Frame(Sample(1, 10));
        compressed[0] = 1;
        await Assert.ThrowsAsync<EtcdProtocolException>(() => ReadAllAsync(new MemoryStream(compressed)));

        var huge = new byte[5];
        BinaryPrimitives.WriteUInt32BigEndian(huge.AsSpan(1), uint.MaxValue);
        var error = await Assert.ThrowsAsync<EtcdProtocolException>(() => ReadAllAsync(new MemoryStream(huge)));
        Assert.Equal(GrpcStatusCode.ResourceExhausted, error.StatusCode);
    }

    [Fact]
    public async Task frame_decoder_survives_random_bytes_with_only_typed_errors()
    {
        var random = new Random(7);
        var outcomes = new Dictionary<string, int>();
        for (var i = 0; i < 5000; i++)
        {
            byte[] input;
            if (i % 2 == 0)
            {
                input = new byte[random.Next(0, 64)];
                random.NextBytes(input);
            }
            else
            {
                // A plausible header (flag 0, small length) over random payload bytes: exercises the protobuf parse.
                var payload = new byte[random.Next(0, 200)];
                random.NextBytes(payload);
                input = new byte[GrpcFrame.HeaderSize + payload.Length + random.Next(0, 3)];
                GrpcFrame.WriteHeader(input, payload.Length + random.Next(-2, 3) is var n && n >= 0 ? n : 0);
                payload.CopyTo(input, GrpcFrame.HeaderSize);
            }

            string outcome;
            try
            {
                await ReadAllAsync(new ChunkedStream(input, random), maxMessage: 4096);
                outcome = "ok";
            }
            catch (EtcdProtocolException)
            {
                outcome = "protocol error";
            }

            outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + 1;
        }

        Assert.True(outcomes.GetValueOrDefault("protocol error") > 100);
    }

    [Fact]
    public void frame_header_is_flag_zero_and_big_endian_length()
    {
        var header = new byte[5];
        GrpcFrame.WriteHeader(header, 0x01020304);
        Assert.Equal(new byte[] { 0, 1, 2, 3, 4 }, header);
        Assert.False(GrpcFrame.TryReadHeader(header.AsSpan(0, 4), int.MaxValue, out _));
        Assert.True(GrpcFrame.TryReadHeader(header, int.MaxValue, out var length));
        Assert.Equal(0x01020304, length);
    }
}
