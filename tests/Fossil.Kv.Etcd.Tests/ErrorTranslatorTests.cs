using Etcdserverpb;
using Fossil.Kv.Etcd.Transport;

namespace Fossil.Kv.Etcd.Tests;

public sealed class ErrorTranslatorTests
{
    private static EtcdException Server(GrpcStatusCode code, string message, CallKind kind = CallKind.Idempotent) =>
        EtcdErrorTranslator.Translate(new GrpcCallFailure(code, message, requestSent: true, fromServer: true), kind, "/etcdserverpb.KV/Txn", "http://e", new TxnRequest());

    [Theory]
    [InlineData(GrpcStatusCode.InvalidArgument, "etcdserver: too many operations in txn request", typeof(EtcdTooManyOperationsException))]
    [InlineData(GrpcStatusCode.InvalidArgument, "etcdserver: request is too large", typeof(EtcdRequestTooLargeException))]
    [InlineData(GrpcStatusCode.InvalidArgument, "etcdserver: duplicate key given in txn request", typeof(EtcdInvalidArgumentException))]
    [InlineData(GrpcStatusCode.OutOfRange, "etcdserver: mvcc: required revision has been compacted", typeof(EtcdCompactedException))]
    [InlineData(GrpcStatusCode.ResourceExhausted, "etcdserver: mvcc: database space exceeded", typeof(EtcdNoSpaceException))]
    [InlineData(GrpcStatusCode.ResourceExhausted, "etcdserver: too many requests", typeof(EtcdUnavailableException))]
    [InlineData(GrpcStatusCode.Unavailable, "etcdserver: no leader", typeof(EtcdNoLeaderException))]
    [InlineData(GrpcStatusCode.Unavailable, "etcdserver: leader changed", typeof(EtcdUnavailableException))]
    [InlineData(GrpcStatusCode.Unavailable, "etcdserver: request timed out", typeof(EtcdUnavailableException))]
    [InlineData(GrpcStatusCode.NotFound, "etcdserver: requested lease not found", typeof(EtcdLeaseNotFoundException))]
    [InlineData(GrpcStatusCode.PermissionDenied, "etcdserver: permission denied", typeof(EtcdPermissionDeniedException))]
    [InlineData(GrpcStatusCode.InvalidArgument, "etcdserver: authentication failed, invalid user ID or password", typeof(EtcdAuthenticationException))]
    [InlineData(GrpcStatusCode.Unauthenticated, "etcdserver: invalid auth token", typeof(EtcdAuthenticationException))]
    public void etcd_messages_map_to_typed_exceptions_for_reads(GrpcStatusCode code, string message, Type expected)
    {
        var ex = Server(code, message);
        Assert.IsType(expected, ex);
        Assert.Equal(code, ex.StatusCode);
        Assert.Equal(message, ex.EtcdMessage);
        Assert.False(ex.MayHaveBeenApplied);
    }

    [Theory]
    [InlineData(GrpcStatusCode.Unavailable, "etcdserver: request timed out")]
    [InlineData(GrpcStatusCode.Unavailable, "etcdserver: request timed out, possibly due to previous leader failure")]
    [InlineData(GrpcStatusCode.Unavailable, "etcdserver: request timed out, possibly due to connection lost")]
    [InlineData(GrpcStatusCode.Unavailable, "etcdserver: leader changed")]
    [InlineData(GrpcStatusCode.DeadlineExceeded, "context deadline exceeded")]
    [InlineData(GrpcStatusCode.Unknown, "something new")]
    public void ambiguous_failures_of_a_sent_write_are_unknown_outcomes(GrpcStatusCode code, string message)
    {
        var ex = Server(code, message, CallKind.Write);
        var unknown = Assert.IsType<EtcdUnknownOutcomeException>(ex);
        Assert.True(unknown.MayHaveBeenApplied);
        Assert.IsType<TxnRequest>(unknown.Request);
        Assert.False(unknown.Retryable);
    }

    [Theory]
    [InlineData(GrpcStatusCode.ResourceExhausted, "etcdserver: too many requests")]
    [InlineData(GrpcStatusCode.Unavailable, "etcdserver: no leader")]
    [InlineData(GrpcStatusCode.Unknown, "raft proposal dropped")]
    public void writes_rejected_before_proposal_are_retried(GrpcStatusCode code, string message)
    {
        var ex = Server(code, message, CallKind.Write);
        Assert.IsNotType<EtcdUnknownOutcomeException>(ex);
        Assert.False(ex.MayHaveBeenApplied);
        Assert.True(ex.Retryable);
    }

    [Fact]
    public void nospace_on_a_write_may_have_been_applied_and_carries_the_request()
    {
        var ex = Server(GrpcStatusCode.ResourceExhausted, "etcdserver: mvcc: database space exceeded", CallKind.Write);
        Assert.IsType<EtcdNoSpaceException>(ex);
        Assert.True(ex.MayHaveBeenApplied);
        Assert.NotNull(ex.Request);
        Assert.False(ex.Retryable);
    }

    [Fact]
    public void connection_failure_before_sending_is_retried_even_for_writes()
    {
        var failure = new GrpcCallFailure(GrpcStatusCode.Unavailable, "Connection refused", requestSent: false);
        var ex = EtcdErrorTranslator.Translate(failure, CallKind.Write, "/etcdserverpb.KV/Put", "http://e", new PutRequest());
        Assert.IsType<EtcdUnavailableException>(ex);
        Assert.True(ex.Retryable);
        Assert.False(ex.MayHaveBeenApplied);
    }

    [Fact]
    public void connection_lost_after_sending_a_write_is_an_unknown_outcome_and_a_read_is_retried()
    {
        var failure = new GrpcCallFailure(GrpcStatusCode.Unavailable, "Connection reset", requestSent: true);
        Assert.IsType<EtcdUnknownOutcomeException>(EtcdErrorTranslator.Translate(failure, CallKind.Write, "/etcdserverpb.KV/Put", "http://e", new PutRequest()));
        var read = EtcdErrorTranslator.Translate(failure, CallKind.Idempotent, "/etcdserverpb.KV/Range", "http://e", new RangeRequest());
        Assert.IsType<EtcdUnavailableException>(read);
        Assert.True(read.Retryable);
    }

    [Fact]
    public void permanent_errors_are_never_retried()
    {
        Assert.False(Server(GrpcStatusCode.InvalidArgument, "etcdserver: too many operations in txn request", CallKind.Write).Retryable);
        Assert.False(Server(GrpcStatusCode.OutOfRange, "etcdserver: mvcc: required revision has been compacted").Retryable);
        Assert.False(Server(GrpcStatusCode.PermissionDenied, "etcdserver: permission denied").Retryable);
    }
}

public sealed class EtcdKeysTests
{
    [Theory]
    [InlineData(new byte[] { 0x61 }, new byte[] { 0x62 })]
    [InlineData(new byte[] { 0x61, 0xff }, new byte[] { 0x62 })]
    [InlineData(new byte[] { 0x61, 0x62, 0xff, 0xff }, new byte[] { 0x61, 0x63 })]
    [InlineData(new byte[] { 0xff }, new byte[] { 0 })]
    [InlineData(new byte[0], new byte[] { 0 })]
    public void prefix_end_is_the_first_key_after_every_key_with_the_prefix(byte[] prefix, byte[] expected) =>
        Assert.Equal(expected, EtcdKeys.PrefixEnd(prefix).ToByteArray());
}
