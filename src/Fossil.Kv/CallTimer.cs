using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;

namespace Fossil.Kv;

/// <summary>
/// Times one read or search for its histogram, from the call to its answer. A streamed read
/// (<see cref="IAsyncEnumerable{T}"/>) leaves out the caller's time between events: a slow consumer must not look like a
/// slow store. Both kinds of call go through a <c>Timed</c> wrapper, which names a failure after what the store threw.
/// </summary>
internal struct CallTimer
{
    private long _resumed;
    private long _elapsed;
    private bool _answered;
    private string? _failure;

    public static CallTimer Start() => new() { _resumed = Stopwatch.GetTimestamp() };

    /// <summary>The store handed over an answer: the whole result, or one event of a streamed read.</summary>
    public void Answered()
    {
        _elapsed += Stopwatch.GetTimestamp() - _resumed;
        _answered = true;
    }

    /// <summary>The caller asked a streamed read for more.</summary>
    public void Resumed()
    {
        _resumed = Stopwatch.GetTimestamp();
        _answered = false;
    }

    /// <summary>
    /// For an exception filter (<c>catch (Exception e) when (timer.Failed(e))</c>): names the outcome after what the store
    /// threw, and catches nothing.
    /// </summary>
    public bool Failed(Exception exception)
    {
        _failure = StoreMetrics.Outcome(exception);
        return false;
    }

    /// <summary>
    /// Records the call: ok when it ended on an answer (a caller may stop a streamed read at any event), else the outcome
    /// <see cref="Failed"/> named. A call its caller cancelled is left out: its time is the caller's patience, not the
    /// store's latency.
    /// </summary>
    public readonly void Record(Histogram<double> histogram, string kind, CancellationToken cancellationToken)
    {
        if (!_answered && cancellationToken.IsCancellationRequested) return;
        var ticks = _answered ? _elapsed : _elapsed + Stopwatch.GetTimestamp() - _resumed;
        histogram.Record((double)ticks / Stopwatch.Frequency,
            new KeyValuePair<string, object?>("kind", kind), new KeyValuePair<string, object?>("outcome", _answered ? "ok" : _failure ?? "error"));
    }

    /// <summary>
    /// <paramref name="call"/>, timed by <paramref name="timer"/>, which the caller starts before it makes the call (as an
    /// argument before it), so the call's synchronous start is timed too.
    /// </summary>
    public static async Task<T> Timed<T>(CallTimer timer, Task<T> call, Histogram<double> histogram, string kind, CancellationToken cancellationToken)
    {
        try
        {
            var result = await call.ConfigureAwait(false);
            timer.Answered();
            return result;
        }
        catch (Exception e) when (timer.Failed(e))
        {
            throw;
        }
        finally
        {
            timer.Record(histogram, kind, cancellationToken);
        }
    }

    /// <summary>
    /// <paramref name="source"/>, timed as one call from its first request to its end, without the time its caller holds
    /// each event.
    /// </summary>
    public static async IAsyncEnumerable<T> Timed<T>(
        IAsyncEnumerable<T> source, Histogram<double> histogram, string kind, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var timer = Start();
        var events = source.GetAsyncEnumerator(cancellationToken);
        try
        {
            while (true)
            {
                bool more;
                // C# allows no yield inside a try that has a catch, so only the step that can throw is inside one.
                try
                {
                    more = await events.MoveNextAsync().ConfigureAwait(false);
                }
                catch (Exception e) when (timer.Failed(e))
                {
                    throw;
                }
                if (!more) break;
                timer.Answered();
                yield return events.Current;
                timer.Resumed();
            }
            timer.Answered();
        }
        finally
        {
            timer.Record(histogram, kind, cancellationToken);
            await events.DisposeAsync().ConfigureAwait(false);
        }
    }
}
