using Etcdserverpb;
using Fossil.Kv.Etcd;
using Fossil.Kv.Keyspace;
using Fossil.Kv.Records;
using Fossil.Kv.Segments;
using Fossil.Kv.Streams;

namespace Fossil.Kv.Appends;

/// <summary>
/// Runs an <see cref="AppendTransaction"/> and settles every unit in it: committed, retried, rerouted,
/// resolved as a repeat or a conflict, or failed with a typed error. A Txn whose outcome etcd could not
/// report is settled by a fence first (ADR 0005), so nothing is ever written twice.
/// </summary>
internal static class AppendExecutor
{
    private const int ResolutionBudgetInCallTimeouts = 3;
    private static readonly TimeSpan MaxResolutionBudget = TimeSpan.FromMinutes(1);

    // retry takes units to send again in a later transaction; its flag says whether the try counts against the unit's attempts.
    public static async Task ExecuteAsync(
        StoreContext context, SegmentCatalog catalog, AppendTransaction txn, Action<AppendUnit, bool> retry, CancellationToken cancellationToken)
    {
        foreach (var unit in txn.Deferred) retry(unit, false);
        TxnResponse response;
        try
        {
            response = await context.Etcd.TxnAsync(txn.Request, cancellationToken).ConfigureAwait(false);
        }
        catch (EtcdRequestTooLargeException) when (txn.Sent.Count > 1)
        {
            // Our size estimate was short: send each unit on its own.
            foreach (var unit in txn.Sent)
            {
                unit.SendAlone = true;
                retry(unit, true);
            }
            return;
        }
        catch (EtcdException e) when (e.MayHaveBeenApplied || e is EtcdUnknownOutcomeException)
        {
            Log.UnknownOutcome(context.Logger, txn.SegmentNames, e);
            long? committedAt;
            try
            {
                committedAt = await FindOutcomeAsync(context, txn, cancellationToken).ConfigureAwait(false);
            }
            catch (EtcdException) when (!cancellationToken.IsCancellationRequested)
            {
                // etcd stayed out of reach for the whole resolution budget: the callers learn that the outcome is
                // unknown (a retry with the same event ids is idempotent). The committer goes on; its next Txn
                // compares the same segment record, so it fences this one out if it has not applied by then.
                foreach (var unit in txn.Sent) unit.Completion.TrySetException(AppendErrors.Translate(e));
                return;
            }
            if (committedAt is { } revision)
            {
                Complete(catalog, txn, revision);
            }
            else if (e is EtcdNoSpaceException)
            {
                foreach (var unit in txn.Sent) unit.Completion.TrySetException(AppendErrors.Translate(e));
            }
            else
            {
                foreach (var unit in txn.Sent) retry(unit, true);
            }
            return;
        }

        if (response.Succeeded)
        {
            Complete(catalog, txn, response.Header.Revision);
            return;
        }
        await SettleFailureAsync(context, catalog, txn, response, retry, cancellationToken).ConfigureAwait(false);
    }

    private static void Complete(SegmentCatalog catalog, AppendTransaction txn, long revision)
    {
        if (txn.DimensionFix is { } fix) catalog.Fixed(fix);
        int appends = 0, events = 0;
        foreach (var (unit, results) in txn.Committed(revision))
        {
            appends++;
            events += unit.EventCount;
            unit.Completion.TrySetResult(results);
        }
        AppendMetrics.Committed(appends, events);
    }

    private static async Task SettleFailureAsync(
        StoreContext context, SegmentCatalog catalog, AppendTransaction txn, TxnResponse response, Action<AppendUnit, bool> retry, CancellationToken cancellationToken)
    {
        AppendMetrics.Conflict();
        var report = txn.Failed(response);
        if (report.Window is { } window) catalog.Observe(window);
        // A config that moved since the dimension fix was read: route again, which reads it afresh.
        if (report.SegmentsMoved || report.ConfigMoved)
        {
            foreach (var unit in txn.Sent) unit.Completion.TrySetException(new RerouteException());
            return;
        }
        var retried = 0;
        foreach (var unit in txn.Sent)
        {
            var satisfied = true;
            foreach (var (plan, tip) in report.Parts.Where(p => p.Plan.Unit == unit))
            {
                var fresh = tip ?? await StreamTipLoader.LoadAsync(context, plan.Part.Stream, cancellationToken).ConfigureAwait(false);
                context.Tips.Put(plan.Part.Stream, fresh);
                satisfied &= plan.Part.Expected.IsSatisfiedBy(fresh.LastVersion);
            }
            if (satisfied || await AppendResolution.ResolveAsync(context, unit, cancellationToken).ConfigureAwait(false))
            {
                retry(unit, true);
                retried++;
            }
        }
        Log.TxnConflict(context.Logger, txn.SegmentNames, retried);
    }

    /// <summary>
    /// The commit revision of a Txn whose outcome is unknown, or null when it did not and never will commit.
    /// A fence bumps the segment records the Txn compared: if the fence commits, the Txn's compares can
    /// no longer hold; if it loses, the Txn's own batch key shows whether it was the one that won.
    /// </summary>
    /// <exception cref="EtcdException">etcd did not answer a fence within the resolution budget (a few call timeouts).</exception>
    private static async Task<long?> FindOutcomeAsync(StoreContext context, AppendTransaction txn, CancellationToken cancellationToken)
    {
        var probe = txn.ProbeBatch ?? throw new InvalidOperationException("An append transaction wrote no batch.");
        var records = txn.Records.ToArray();
        // Long enough to ride out a leader election or a member restart, short enough that a caller facing a
        // frozen etcd hears back in seconds rather than minutes.
        var callTimeout = context.Options.Etcd.CallTimeout;
        var budget = callTimeout > TimeSpan.Zero && callTimeout < MaxResolutionBudget / ResolutionBudgetInCallTimeouts
            ? callTimeout * ResolutionBudgetInCallTimeouts
            : MaxResolutionBudget; // no (or an infinite) call timeout
        var started = context.Clock.GetTimestamp();
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var fence = new TxnRequest();
                foreach (var record in records)
                {
                    var key = context.Keys.Segment(record.Record.Id);
                    fence.Compare.Add(Ops.ModRevisionIs(key, record.ModRevision));
                    fence.Success.Add(Ops.Put(key, record.Record.ToJsonBytes()));
                }
                fence.Failure.Add(Ops.Get(probe.Key));
                var response = await context.Etcd.TxnAsync(fence, cancellationToken).ConfigureAwait(false);
                if (response.Succeeded) return null;
                return CommittedRevision(txn, response.Responses[0].ResponseRange.Kvs);
            }
            catch (EtcdNoSpaceException)
            {
                // No write can land now, the fence included; a NOSPACE Txn was applied or not by the time etcd answered.
                var read = await context.Etcd.GetAsync(Ops.Bytes(probe.Key), cancellationToken).ConfigureAwait(false);
                return CommittedRevision(txn, read.Kvs);
            }
            catch (EtcdException e) when (e.MayHaveBeenApplied || e is EtcdUnknownOutcomeException || e is EtcdUnavailableException or EtcdNoLeaderException)
            {
                if (context.Clock.GetElapsedTime(started) >= budget) throw;
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(50 * attempt, 1000)), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private static long? CommittedRevision(AppendTransaction txn, Google.Protobuf.Collections.RepeatedField<Mvccpb.KeyValue> kvs) =>
        kvs.Count > 0 && Batch.Parser.ParseFrom(kvs[0].Value).BatchId == txn.BatchId ? kvs[0].ModRevision : null;
}
