using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;

namespace Fossil.Kv.Etcd.Transport;

/// <summary>
/// gRPC length-prefixed message framing: 1 byte compressed flag, 4 bytes big-endian length, message.
/// Byte layout documented in docs/etcd-client.md ("Wire format").
/// </summary>
internal static class GrpcFrame
{
    public const int HeaderSize = 5;

    public static void WriteHeader(Span<byte> destination, int messageLength)
    {
        destination[0] = 0; // never compressed: we do not send grpc-encoding
        BinaryPrimitives.WriteUInt32BigEndian(destination[1..], (uint)messageLength);
    }

    /// <summary>
    /// Reads a frame header. Returns false when fewer than <see cref="HeaderSize"/> bytes are
    /// available; throws <see cref="EtcdProtocolException"/> for a frame that can never be valid.
    /// </summary>
    public static bool TryReadHeader(ReadOnlySpan<byte> buffer, int maxMessageSize, out int messageLength)
    {
        if (buffer.Length < HeaderSize)
        {
            messageLength = 0;
            return false;
        }

        var flag = buffer[0];
        if (flag != 0) ThrowBadFlag(flag);
        var length = BinaryPrimitives.ReadUInt32BigEndian(buffer[1..]);
        if (length > (uint)maxMessageSize) ThrowTooLarge(length, maxMessageSize);
        messageLength = (int)length;
        return true;
    }

    [DoesNotReturn]
    private static void ThrowBadFlag(byte flag) => throw new EtcdProtocolException(
        flag == 1
            ? "gRPC frame is compressed, but no compression was negotiated."
            : $"gRPC frame has an invalid compressed flag {flag}.");

    [DoesNotReturn]
    private static void ThrowTooLarge(uint length, int max) => throw new EtcdProtocolException(
        $"gRPC message of {length} bytes exceeds the receive limit of {max} bytes.", GrpcStatusCode.ResourceExhausted);
}
