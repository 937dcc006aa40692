using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Fossil.Kv;

/// <summary>
/// Times one read or search for its histogram, from the call to its answer, with no allocation. A streamed read
/// (<see cref="IAsyncEnumerable{T}"/>) calls <see cref="Answered"/> before each <c>yield return</c> and <see cref="Resumed"/>
/// after it, so the caller's time between events is left out: a slow consumer must not look like a slow store.
/// Every call ends with <see cref="Answered"/> on its way out and <see cref="Record"/> in a <c>finally</c>.
/// </summary>
internal struct CallTimer
{
    private long _resumed;
    private long _elapsed;
    private bool _answered;

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
    /// Records the call: ok when it ended on an answer (a caller may stop a streamed read at any event), error when the
    /// store threw. A call its caller cancelled is left out: its time is the caller's patience, not the store's latency.
    /// </summary>
    public readonly void Record(Histogram<double> histogram, string kind, CancellationToken cancellationToken)
    {
        if (!_answered && cancellationToken.IsCancellationRequested) return;
        var ticks = _answered ? _elapsed : _elapsed + Stopwatch.GetTimestamp() - _resumed;
        histogram.Record((double)ticks / Stopwatch.Frequency,
            new KeyValuePair<string, object?>("kind", kind), new KeyValuePair<string, object?>("outcome", _answered ? "ok" : "error"));
    }
}
