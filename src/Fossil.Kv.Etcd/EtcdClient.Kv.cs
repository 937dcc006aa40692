using Etcdserverpb;
using Google.Protobuf;

namespace Fossil.Kv.Etcd;

public sealed partial class EtcdClient
{
    /// <summary>Range (linearizable unless <c>serializable</c>). Retried on transient failures.</summary>
    public Task<RangeResponse> RangeAsync(RangeRequest request, CancellationToken cancellationToken = default) =>
        CallAsync(EtcdMethods.Range, request, cancellationToken);

    /// <summary>Put. Retried only when provably not applied; an unknown outcome throws <see cref="EtcdUnknownOutcomeException"/>.</summary>
    public Task<PutResponse> PutAsync(PutRequest request, CancellationToken cancellationToken = default) =>
        CallAsync(EtcdMethods.Put, request, cancellationToken);

    /// <summary>DeleteRange. Same failure contract as <see cref="PutAsync(PutRequest, CancellationToken)"/>.</summary>
    public Task<DeleteRangeResponse> DeleteRangeAsync(DeleteRangeRequest request, CancellationToken cancellationToken = default) =>
        CallAsync(EtcdMethods.DeleteRange, request, cancellationToken);

    /// <summary>
    /// Txn. A Txn that writes is retried only when provably not applied; one made only of Range
    /// operations is retried like a read.
    /// </summary>
    public Task<TxnResponse> TxnAsync(TxnRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return CallAsync(IsReadOnly(request) ? EtcdMethods.ReadOnlyTxn : EtcdMethods.Txn, request, cancellationToken);
    }

    /// <summary>Compacts history up to <see cref="CompactionRequest.Revision"/>. Not retried once sent.</summary>
    public Task<CompactionResponse> CompactAsync(CompactionRequest request, CancellationToken cancellationToken = default) =>
        CallAsync(EtcdMethods.Compact, request, cancellationToken);

    /// <inheritdoc/>
    public Task<RangeResponse> GetAsync(ByteString key, CancellationToken cancellationToken = default) =>
        RangeAsync(new RangeRequest { Key = key }, cancellationToken);

    /// <summary>Reads one key, given as text (encoded as UTF-8); the response holds no <c>Kvs</c> when it does not exist.</summary>
    public Task<RangeResponse> GetAsync(string key, CancellationToken cancellationToken = default) =>
        GetAsync(EtcdKeys.FromString(key), cancellationToken);

    /// <summary>All keys starting with <paramref name="prefix"/>, in key order.</summary>
    public Task<RangeResponse> GetPrefixAsync(ByteString prefix, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        return RangeAsync(new RangeRequest { Key = prefix, RangeEnd = EtcdKeys.PrefixEnd(prefix.Span) }, cancellationToken);
    }

    /// <summary>All keys starting with <paramref name="prefix"/> (encoded as UTF-8), in key order.</summary>
    public Task<RangeResponse> GetPrefixAsync(string prefix, CancellationToken cancellationToken = default) =>
        GetPrefixAsync(EtcdKeys.FromString(prefix), cancellationToken);

    /// <inheritdoc/>
    public Task<PutResponse> PutAsync(ByteString key, ByteString value, CancellationToken cancellationToken = default) =>
        PutAsync(new PutRequest { Key = key, Value = value }, cancellationToken);

    /// <summary>Put of memory the caller owns, without copying it (it must not change until the call returns).</summary>
    public Task<PutResponse> PutAsync(ReadOnlyMemory<byte> key, ReadOnlyMemory<byte> value, CancellationToken cancellationToken = default) =>
        PutAsync(new PutRequest { Key = EtcdKeys.Wrap(key), Value = EtcdKeys.Wrap(value) }, cancellationToken);

    /// <summary>Put of a text key and value (both encoded as UTF-8); the failure contract of <see cref="PutAsync(PutRequest, CancellationToken)"/>.</summary>
    public Task<PutResponse> PutAsync(string key, string value, CancellationToken cancellationToken = default) =>
        PutAsync(EtcdKeys.FromString(key), EtcdKeys.FromString(value), cancellationToken);

    private static bool IsReadOnly(TxnRequest request)
    {
        return AllReads(request.Success) && AllReads(request.Failure);

        static bool AllReads(Google.Protobuf.Collections.RepeatedField<RequestOp> ops)
        {
            foreach (var op in ops)
            {
                switch (op.RequestCase)
                {
                    case RequestOp.RequestOneofCase.RequestRange:
                        continue;
                    case RequestOp.RequestOneofCase.RequestTxn when IsReadOnly(op.RequestTxn):
                        continue;
                    default:
                        return false;
                }
            }

            return true;
        }
    }
}
