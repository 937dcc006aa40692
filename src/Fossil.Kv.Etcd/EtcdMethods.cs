using Etcdserverpb;
using Google.Protobuf;

namespace Fossil.Kv.Etcd;

/// <summary>A gRPC method: its path, response parser, and whether retrying it is safe.</summary>
internal sealed class EtcdMethod<TResponse>(string path, MessageParser<TResponse> parser, CallKind kind)
    where TResponse : class, IMessage<TResponse>
{
    public string Path { get; } = path;
    public MessageParser<TResponse> Parser { get; } = parser;
    public CallKind Kind { get; } = kind;
}

internal static class EtcdMethods
{
    public static readonly EtcdMethod<RangeResponse> Range = new("/etcdserverpb.KV/Range", RangeResponse.Parser, CallKind.Idempotent);
    public static readonly EtcdMethod<PutResponse> Put = new("/etcdserverpb.KV/Put", PutResponse.Parser, CallKind.Write);
    public static readonly EtcdMethod<DeleteRangeResponse> DeleteRange = new("/etcdserverpb.KV/DeleteRange", DeleteRangeResponse.Parser, CallKind.Write);
    public static readonly EtcdMethod<TxnResponse> Txn = new("/etcdserverpb.KV/Txn", TxnResponse.Parser, CallKind.Write);
    public static readonly EtcdMethod<TxnResponse> ReadOnlyTxn = new("/etcdserverpb.KV/Txn", TxnResponse.Parser, CallKind.Idempotent);
    public static readonly EtcdMethod<CompactionResponse> Compact = new("/etcdserverpb.KV/Compact", CompactionResponse.Parser, CallKind.Write);
    public static readonly EtcdMethod<LeaseGrantResponse> LeaseGrant = new("/etcdserverpb.Lease/LeaseGrant", LeaseGrantResponse.Parser, CallKind.Idempotent);
    public static readonly EtcdMethod<LeaseRevokeResponse> LeaseRevoke = new("/etcdserverpb.Lease/LeaseRevoke", LeaseRevokeResponse.Parser, CallKind.Idempotent);
    public static readonly EtcdMethod<LeaseTimeToLiveResponse> LeaseTimeToLive = new("/etcdserverpb.Lease/LeaseTimeToLive", LeaseTimeToLiveResponse.Parser, CallKind.Idempotent);
    public static readonly EtcdMethod<StatusResponse> Status = new("/etcdserverpb.Maintenance/Status", StatusResponse.Parser, CallKind.Idempotent);
    public static readonly EtcdMethod<DefragmentResponse> Defragment = new("/etcdserverpb.Maintenance/Defragment", DefragmentResponse.Parser, CallKind.Idempotent);
    public static readonly EtcdMethod<AlarmResponse> Alarm = new("/etcdserverpb.Maintenance/Alarm", AlarmResponse.Parser, CallKind.Idempotent);
    public static readonly EtcdMethod<MemberListResponse> MemberList = new("/etcdserverpb.Cluster/MemberList", MemberListResponse.Parser, CallKind.Idempotent);
    public static readonly EtcdMethod<AuthenticateResponse> Authenticate = new("/etcdserverpb.Auth/Authenticate", AuthenticateResponse.Parser, CallKind.Idempotent);

    public const string Watch = "/etcdserverpb.Watch/Watch";
    public const string LeaseKeepAlive = "/etcdserverpb.Lease/LeaseKeepAlive";
}
