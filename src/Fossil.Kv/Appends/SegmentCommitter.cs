using System.Threading.Channels;
using Fossil.Kv.Segments;

namespace Fossil.Kv.Appends;

/// <summary>
/// Group commit for one segment: appends that arrive while a transaction is in flight share the next
/// one. An idle committer sends at once, so a lone appender never waits for company. One transaction
/// is in flight per segment, since two would race for the segment record's compare-and-swap.
/// </summary>
internal sealed partial class SegmentCommitter : IAsyncDisposable
{
    /// <summary>After this many lost compares in a row a unit fails as unavailable rather than spinning.</summary>
    private const int MaxAttempts = 64;

    /// <summary>
    /// How long a committer that just finished a Txn waits for the appenders it answered to come back. A closed
    /// loop of callers (in process within microseconds, HTTP clients after a round trip of a few hundred) would
    /// otherwise split into two alternating half-size batches, and every Txn pays etcd's fixed cost again. The
    /// wait blocks (it spends no CPU the returning callers need), ends the moment they are all back, and is
    /// bounded; the timer's resolution makes it 1–2 ms at worst.
    /// </summary>
    private static readonly TimeSpan MaxLinger = TimeSpan.FromMilliseconds(1);

    /// <summary>
    /// After a linger that ran out (its callers did not come back: an open loop, or callers that moved on to other
    /// segments) the next Txns are sent without one, twice as many after each further miss, up to this many.
    /// </summary>
    private const int MaxLingerBackoff = 64;

    private readonly StoreContext _context;
    private readonly SegmentCatalog _catalog;
    // Synchronous continuations: an idle committer's loop resumes on the appender's thread inside Enqueue and
    // sends the Txn from there, saving a thread-pool hop on every lone append. Nothing else waits on this channel.
    private readonly Channel<AppendUnit> _queue = Channel.CreateUnbounded<AppendUnit>(
        new UnboundedChannelOptions { SingleReader = true, AllowSynchronousContinuations = true });
    private readonly Queue<AppendUnit> _carried = new();
    private int _queued; // units in _queue (a single-reader channel cannot count)
    private Linger? _linger; // set while the committer waits for answered appenders to come back
    private int _lingerBackoff; // Txns to skip lingering for after the last linger that ran out
    private int _lingerSkips; // of those, still to skip
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _loop;
    private SegmentView? _record;

    public SegmentCommitter(StoreContext context, SegmentCatalog catalog, SegmentId segment)
    {
        _context = context;
        _catalog = catalog;
        Segment = segment;
        _loop = Task.Run(RunAsync);
    }

    public SegmentId Segment { get; }

    /// <summary>Held while a transaction into this segment is in flight; a multi-segment append takes the slots of all its segments.</summary>
    public SemaphoreSlim TxnSlot { get; } = new(1, 1);

    /// <summary>Last known record and its mod revision; shared with multi-segment appends that hold <see cref="TxnSlot"/>.</summary>
    public SegmentView? Record
    {
        get => _record;
        set => _record = value;
    }

    public void Enqueue(AppendUnit unit)
    {
        var queued = Interlocked.Increment(ref _queued);
        if (!_queue.Writer.TryWrite(unit))
        {
            Interlocked.Decrement(ref _queued);
            unit.Completion.TrySetException(new RerouteException());
            return;
        }
        if (Volatile.Read(ref _linger) is { } linger && queued >= linger.QueuedTarget) linger.AllBack.TrySetResult();
    }

    private async Task RunAsync()
    {
        var reader = _queue.Reader;
        var expected = 0; // appends expected to be waiting soon: those queued when the last Txn ended plus those it answered
        while (true)
        {
            // No token: with a cancellable one the channel resumed this wait through the thread pool (seen in a profile
            // of one appender), not on the appender's thread, so every lone append paid a thread hop. DisposeAsync
            // ends the wait by completing the writer.
            if (_carried.Count == 0 && !await reader.WaitToReadAsync(CancellationToken.None).ConfigureAwait(false)) break;
            if (expected > 1)
            {
                if (_lingerSkips > 0) _lingerSkips--;
                else await LingerAsync(expected).ConfigureAwait(false);
            }
            var batch = TakeBatch(reader);
            var holdsSlot = false;
            try
            {
                await TxnSlot.WaitAsync().ConfigureAwait(false);
                holdsSlot = true;
                await CommitAsync(batch, _stopping.Token).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                // Whatever went wrong fails this batch only: the loop must live on, or every later append to the segment would hang.
                foreach (var unit in batch) unit.Completion.TrySetException(AppendErrors.Translate(e));
            }
            finally
            {
                if (holdsSlot) TxnSlot.Release();
            }
            expected = Math.Min(Volatile.Read(ref _queued) + Math.Max(batch.Count, _carried.Count), AppendLimits.MaxAppendsPerTxn);
        }
        while (reader.TryRead(out var left)) left.Completion.TrySetException(new RerouteException());
        foreach (var left in _carried) left.Completion.TrySetException(new RerouteException());
    }

    /// <summary>
    /// Right after a commit: waits until the appends it expects are waiting (signalled by <see cref="Enqueue"/>), or
    /// <see cref="MaxLinger"/> passed, and backs off when they did not come.
    /// </summary>
    private async ValueTask LingerAsync(int target)
    {
        var queuedTarget = target - _carried.Count;
        if (Volatile.Read(ref _queued) >= queuedTarget) return;
        var linger = new Linger(queuedTarget);
        // A full fence between publishing the linger and reading the count, as Enqueue has between counting and reading
        // the linger: one of the two sides sees the other, so the last appender back never goes unnoticed.
        Interlocked.Exchange(ref _linger, linger);
        var allBack = Volatile.Read(ref _queued) >= queuedTarget;
        if (!allBack)
        {
            using var timeout = new CancellationTokenSource();
            var timer = Task.Delay(MaxLinger, timeout.Token);
            allBack = await Task.WhenAny(linger.AllBack.Task, timer).ConfigureAwait(false) == linger.AllBack.Task;
            // Synchronously: the only callback cancels the timer, and CancelAsync would resume this loop on another thread.
            timeout.Cancel();
        }
        Volatile.Write(ref _linger, null);
        if (allBack)
        {
            _lingerBackoff = 0;
        }
        else
        {
            _lingerBackoff = Math.Min(Math.Max(1, 2 * _lingerBackoff), MaxLingerBackoff);
            _lingerSkips = _lingerBackoff;
        }
    }

    /// <summary>A committer's wait for <paramref name="QueuedTarget"/> queued appends.</summary>
    private sealed record Linger(int QueuedTarget)
    {
        /// <summary>Completed by the last appender back; synchronous continuations send the Txn from its thread, as an idle committer does.</summary>
        public TaskCompletionSource AllBack { get; } = new();
    }

    /// <summary>Units carried over from the last transaction first, then queued ones, while they fit one Txn.</summary>
    private List<AppendUnit> TakeBatch(ChannelReader<AppendUnit> reader)
    {
        var batch = new List<AppendUnit>();
        int parts = 0, events = 0;
        long bytes = 0;
        while (true)
        {
            AppendUnit? next;
            if (_carried.Count > 0) next = _carried.Peek();
            else if (reader.TryPeek(out var queued)) next = queued;
            else break;

            if (next.SendAlone && batch.Count > 0) break;
            var fits = !next.SendAlone && parts + next.Parts.Count <= AppendLimits.MaxAppendsPerTxn
                && events + next.EventCount <= AppendLimits.MaxEventsPerTxn
                && bytes + next.EncodedBytes <= AppendLimits.MaxAppendBytes;
            if (!fits && batch.Count > 0) break;

            if (_carried.Count > 0) _carried.Dequeue();
            else if (reader.TryRead(out _)) Interlocked.Decrement(ref _queued);
            batch.Add(next);
            parts += next.Parts.Count;
            events += next.EventCount;
            bytes += next.EncodedBytes;
            if (next.SendAlone) break;
        }
        return batch;
    }

    private void Retry(AppendUnit unit, bool countsAsAttempt)
    {
        if (countsAsAttempt && ++unit.Attempts >= MaxAttempts)
        {
            unit.Completion.TrySetException(new StoreUnavailableException(
                $"The append into segment {Segment} lost {MaxAttempts} compare-and-swap races in a row; retry it with the same event ids.",
                TimeSpan.FromSeconds(1)));
            return;
        }
        _carried.Enqueue(unit);
    }

    /// <summary>Stops taking appends, lets queued ones finish (a few seconds at most), then stops.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        Volatile.Read(ref _linger)?.AllBack.TrySetResult(); // nobody else is coming
        if (await Task.WhenAny(_loop, Task.Delay(TimeSpan.FromSeconds(10))).ConfigureAwait(false) != _loop)
            await _stopping.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        _stopping.Dispose();
        TxnSlot.Dispose();
    }
}
