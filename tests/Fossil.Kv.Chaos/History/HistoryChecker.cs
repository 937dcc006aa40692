using System.Globalization;

namespace Fossil.Kv.Chaos.History;

/// <summary>
/// Judges a chaos history against the contract (SPEC §2): acknowledged events are in the final history
/// exactly once, nothing appears that was never sent, stream versions are contiguous, expected versions
/// and 409 answers agree with the final history, global positions strictly increase (ordinal string
/// order) and are the same for every reader, every reader and subscriber saw its range exactly once and
/// in order, and every unknown outcome resolved wholly one way. Pure code: no I/O, no clock.
/// </summary>
public static class HistoryChecker
{
    private const int MaxDetailsPerRule = 20;

    public static CheckReport Check(ChaosHistory history)
    {
        ArgumentNullException.ThrowIfNull(history);
        var report = new CheckReport();
        var final = history.Final;
        var sent = IndexSentEvents(history.Operations, report);
        var copies = CheckLog(final.Log, sent, report);
        CheckStreams(final, report);
        foreach (var op in history.Operations) CheckOperation(op, copies, final, report);
        foreach (var observation in history.Observations) CheckObservation(observation, final, report);
        report.EventsInLog = final.Log.Count;
        return report;
    }

    /// <summary>
    /// What the client can conclude from its attempts: any acknowledgement wins; a definite error counts
    /// only if no earlier attempt could still have landed. An exact expectation makes a later 409 final
    /// (an earlier attempt at N+1 would have made it a repeat); an <c>any</c> append retried after an
    /// unknown attempt may have landed and then been overtaken, so it stays unknown.
    /// </summary>
    public static Outcome OutcomeOf(AppendOperation op)
    {
        ArgumentNullException.ThrowIfNull(op);
        var attempts = op.Attempts.Where(a => !a.Resend).ToList();
        if (attempts.Any(a => a.Outcome == Outcome.Acknowledged)) return Outcome.Acknowledged;
        var delivered = attempts.Where(a => a.Outcome != Outcome.NotSent).ToList();
        if (delivered.Count == 0) return Outcome.DefiniteError;
        if (delivered[^1].Outcome != Outcome.DefiniteError) return Outcome.Unknown;
        var hadUnknown = delivered.Take(delivered.Count - 1).Any(a => a.Outcome == Outcome.Unknown);
        return !hadUnknown || op.Parts.All(p => p.ExactFirstVersion is not null) ? Outcome.DefiniteError : Outcome.Unknown;
    }

    private static Dictionary<Guid, (AppendOperation Op, StreamPart Part)> IndexSentEvents(IReadOnlyList<AppendOperation> operations, CheckReport report)
    {
        var sent = new Dictionary<Guid, (AppendOperation, StreamPart)>();
        foreach (var op in operations)
        {
            foreach (var part in op.Parts)
            {
                foreach (var id in part.EventIds)
                {
                    report.EventsSent++;
                    if (!sent.TryAdd(id, (op, part)))
                        report.Add("client", $"event id {id} was sent by two operations ({sent[id].Item1.Id} and {op.Id}); the history cannot be judged for it");
                }
            }
        }
        return sent;
    }

    /// <summary>Checks the final global log's order and origin; returns every copy of each event id, in log order.</summary>
    private static Dictionary<Guid, List<ObservedEvent>> CheckLog(IReadOnlyList<ObservedEvent> log, Dictionary<Guid, (AppendOperation Op, StreamPart Part)> sent, CheckReport report)
    {
        var copies = new Dictionary<Guid, List<ObservedEvent>>();
        for (var i = 0; i < log.Count; i++)
        {
            var e = log[i];
            if (i > 0 && string.CompareOrdinal(log[i - 1].Position, e.Position) >= 0)
            {
                report.OutOfOrder++;
                report.Add("order", $"final log: {Describe(e)} follows {Describe(log[i - 1])}; positions must strictly increase");
            }
            if (!sent.TryGetValue(e.Id, out var origin))
            {
                report.Phantom++;
                report.Add("phantom", $"final log holds {Describe(e)}, which no client ever sent");
            }
            else if (origin.Part.Stream != e.Stream)
            {
                report.Phantom++;
                report.Add("phantom", $"final log holds {Describe(e)}, but operation {origin.Op.Id} sent it to '{origin.Part.Stream}'");
            }
            if (!copies.TryGetValue(e.Id, out var list)) copies[e.Id] = list = [];
            list.Add(e);
        }
        return copies;
    }

    private static void CheckStreams(FinalHistory final, CheckReport report)
    {
        var fromLog = final.Log.GroupBy(e => e.Stream).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
        foreach (var (stream, events) in final.Streams)
        {
            for (var i = 0; i < events.Count; i++)
            {
                if (events[i].Version != i)
                {
                    report.Add("version-gap", $"stream '{stream}': event {i} of its read has version {events[i].Version}; versions must run 0, 1, 2, ... ({Describe(events[i])})");
                    break;
                }
            }
            var logged = fromLog.GetValueOrDefault(stream) ?? [];
            if (!SameEvents(events, logged, out var difference))
                report.Add("stream-vs-log", $"stream '{stream}' read on its own differs from its events in the global log: {difference}");
        }
        // In the global log too, a stream's events must carry versions 0, 1, 2, ... in position order: a version
        // twice means the stream forked, a version out of order that stream order is not commit order.
        foreach (var (stream, events) in fromLog)
        {
            for (var i = 0; i < events.Count; i++)
            {
                if (events[i].Version != i)
                {
                    report.Add("version-gap", $"stream '{stream}' in the global log: its event {i} in position order has version {events[i].Version} ({Describe(events[i])}, after {(i > 0 ? Describe(events[i - 1]) : "nothing")})");
                    break;
                }
            }
        }
        foreach (var stream in fromLog.Keys.Where(s => !final.Streams.ContainsKey(s)))
            report.Add("stream-vs-log", $"stream '{stream}' has {fromLog[stream].Count} events in the global log but was not read on its own");
    }

    private static void CheckOperation(AppendOperation op, Dictionary<Guid, List<ObservedEvent>> copies, FinalHistory final, CheckReport report)
    {
        report.OperationsAttempted++;
        report.Attempts += op.Attempts.Count;
        report.NotSent += op.Attempts.Count(a => a.Outcome == Outcome.NotSent);
        report.Repeats += op.Attempts.Count(a => a.Status == 200);
        report.Unavailable += op.Attempts.Count(a => a.Status == 503);
        report.InternalErrors += op.Attempts.Count(a => a.Status == 500);
        if (op.Attempts.Any(a => a.Resend)) report.Resent++;
        if (op.Attempts.Where(a => !a.Resend).SkipLast(1).Any(a => a.Outcome == Outcome.Unknown)) report.RetriedAfterUnknown++;
        var outcome = OutcomeOf(op);
        var ids = op.Parts.SelectMany(p => p.EventIds).ToList();
        var present = ids.Count(id => copies.ContainsKey(id));

        foreach (var attempt in op.Attempts.Where(a => a.Conflict is not null)) CheckConflict(op, attempt.Conflict!, final, report);

        switch (outcome)
        {
            case Outcome.Acknowledged:
                report.Acknowledged++;
                var lost = ids.Where(id => !copies.ContainsKey(id)).ToList();
                if (lost.Count > 0)
                {
                    report.Lost += lost.Count;
                    report.Add("lost", $"operation {op.Id} ({Summary(op)}) was acknowledged but {lost.Count} of its {ids.Count} events are missing from the final history, e.g. {lost[0]}");
                }
                CheckAcknowledgedResults(op, copies, report);
                break;
            case Outcome.DefiniteError:
                report.FailedDefinite++;
                if (present > 0)
                    report.Add("written-despite-error", $"operation {op.Id} ({Summary(op)}) failed with '{op.Attempts[^1].Error}' (status {op.Attempts[^1].Status}) yet {present} of its events are in the final history");
                break;
            default:
                report.Unknown++;
                if (present == ids.Count) report.UnknownPresent++;
                else if (present == 0) report.UnknownAbsent++;
                else
                    report.Add("partial", $"operation {op.Id} ({Summary(op)}) had an unknown outcome and only {present} of its {ids.Count} events are in the final history; an append is all or nothing");
                break;
        }
        foreach (var part in op.Parts) CheckCopies(op, part, copies, report);
    }

    private static void CheckConflict(AppendOperation op, Conflict conflict, FinalHistory final, CheckReport report)
    {
        if (conflict.Actual is null) return;
        if (conflict.Actual == conflict.Expected)
            report.Add("conflict", $"operation {op.Id}: a 409 on '{conflict.Stream}' says expected {conflict.Expected} and actual {conflict.Actual}, which are the same");
        var finalVersion = final.Streams.TryGetValue(conflict.Stream, out var events) ? events.Count - 1 : -1;
        if (long.TryParse(conflict.Actual, NumberStyles.None, CultureInfo.InvariantCulture, out var actual) && actual > finalVersion)
            report.Add("conflict", $"operation {op.Id}: a 409 on '{conflict.Stream}' says the stream was at {actual}, but it ends at {finalVersion} in the final history");
    }

    /// <summary>The answer of an acknowledged append must describe where its events really are.</summary>
    private static void CheckAcknowledgedResults(AppendOperation op, Dictionary<Guid, List<ObservedEvent>> copies, CheckReport report)
    {
        var acks = op.Attempts.Where(a => a.Outcome == Outcome.Acknowledged && a.Results is not null).ToList();
        if (acks.Count == 0) return;
        var first = acks[0].Results!;
        if (first.Count != op.Parts.Count)
        {
            report.Add("result", $"operation {op.Id} sent {op.Parts.Count} streams but its answer lists {first.Count}");
            return;
        }
        for (var p = 0; p < op.Parts.Count; p++)
        {
            var part = op.Parts[p];
            var result = first[p];
            if (result.Stream != part.Stream || result.LastVersion - result.FirstVersion + 1 != part.EventIds.Count)
            {
                report.Add("result", $"operation {op.Id}: answer {result} does not match the {part.EventIds.Count} events sent to '{part.Stream}'");
                continue;
            }
            if (part.ExactFirstVersion is { } exact && result.FirstVersion != exact)
                report.Add("expected-version", $"operation {op.Id}: acknowledged with expected {part.Expected} on '{part.Stream}' but its events start at version {result.FirstVersion}, not {exact}");
            // Some copy of the part must sit exactly where the answer says, ending at the answered position.
            var landed = part.EventIds.Select((id, i) => copies.GetValueOrDefault(id)?.Any(e => e.Version == result.FirstVersion + i) == true).All(x => x);
            var lastAt = copies.GetValueOrDefault(part.EventIds[^1])?.FirstOrDefault(e => e.Version == result.LastVersion);
            if (copies.ContainsKey(part.EventIds[0]) && (!landed || lastAt is null || lastAt.Position != result.Position))
                report.Add("result", $"operation {op.Id}: answer {result} for '{part.Stream}' does not match where its events are ({string.Join(", ", copies.GetValueOrDefault(part.EventIds[^1]) ?? []) })");
        }
        if (op.Parts.All(p => p.ExactFirstVersion is not null))
        {
            foreach (var again in acks.Skip(1))
            {
                if (!again.Results!.SequenceEqual(first))
                    report.Add("repeat", $"operation {op.Id}: attempt {again.Number} answered {string.Join("; ", again.Results!)} but the first acknowledgement said {string.Join("; ", first)}; a repeat must return the original result");
            }
        }
    }

    /// <summary>
    /// Each copy of a part must be its events at consecutive versions, in the order sent. More than one
    /// copy is a duplicate, which the contract permits only for an <c>any</c> append re-sent after another
    /// append had landed on top of it (it is then no longer the stream's most recent append).
    /// </summary>
    private static void CheckCopies(AppendOperation op, StreamPart part, Dictionary<Guid, List<ObservedEvent>> copies, CheckReport report)
    {
        var perId = part.EventIds.Select(id => copies.GetValueOrDefault(id)?.OrderBy(e => e.Version).ToList() ?? []).ToList();
        var count = perId.Max(c => c.Count);
        if (count == 0) return;
        if (perId.Any(c => c.Count != count))
        {
            report.Add("partial", $"operation {op.Id}: the events sent to '{part.Stream}' appear {string.Join("/", perId.Select(c => c.Count))} times each; an append is all or nothing");
            return;
        }
        for (var k = 0; k < count; k++)
        {
            for (var i = 1; i < perId.Count; i++)
            {
                if (perId[i][k].Version != perId[0][k].Version + i)
                {
                    report.Add("contiguous", $"operation {op.Id}: event {i} sent to '{part.Stream}' is at version {perId[i][k].Version}, not {perId[0][k].Version + i}; one append's events are consecutive");
                    break;
                }
            }
        }
        if (count == 1) return;
        var retried = op.Attempts.Count > 1;
        var overtaken = Enumerable.Range(1, count - 1).All(k => perId[0][k].Version > perId[^1][k - 1].Version + 1);
        if (part.Expected == "any" && retried && overtaken)
        {
            report.DuplicatedPermitted += part.EventIds.Count * (count - 1);
            return;
        }
        report.Duplicated += part.EventIds.Count * (count - 1);
        report.Add("duplicated", $"operation {op.Id} (expected {part.Expected} on '{part.Stream}', {op.Attempts.Count} attempts): its events are in the stream {count} times, at versions {string.Join(", ", perId[0].Select(e => e.Version))}");
    }

    /// <summary>A reader's or subscriber's events must be exactly the final history's events in its range, in order.</summary>
    private static void CheckObservation(Observation observation, FinalHistory final, CheckReport report)
    {
        report.Observations++;
        report.EventsObserved += observation.Events.Count;
        var global = observation.Kind is ObservationKind.GlobalRead or ObservationKind.GlobalSubscription;
        IReadOnlyList<ObservedEvent> reference = global ? final.Log
            : final.Streams.TryGetValue(observation.Stream ?? "", out var streamEvents) ? streamEvents : [];
        var name = $"{observation.Observer} ({observation.Kind}{(observation.Stream is null ? "" : $" of '{observation.Stream}'")})";

        var events = observation.Events;
        for (var i = 1; i < events.Count; i++)
        {
            var ordered = global ? string.CompareOrdinal(events[i - 1].Position, events[i].Position) < 0 : events[i - 1].Version < events[i].Version;
            if (!ordered)
            {
                report.OutOfOrder++;
                report.Add("order", $"{name} saw {Describe(events[i])} after {Describe(events[i - 1])}");
            }
        }
        if (events.Count == 0 && !observation.Complete) return;

        int start;
        if (observation.After is { } after)
            start = global ? CountWhile(reference, e => string.CompareOrdinal(e.Position, after) <= 0)
                : CountWhile(reference, e => e.Version <= long.Parse(after, CultureInfo.InvariantCulture));
        else
        {
            start = IndexOf(reference, events[0]);
            if (start < 0)
            {
                report.Phantom++;
                report.Add("reader", $"{name} saw {Describe(events[0])}, which is not in the final history");
                return;
            }
        }
        var end = observation.Complete ? reference.Count : events.Count == 0 ? start : IndexOf(reference, events[^1]) + 1;
        if (end <= 0 && events.Count > 0)
        {
            report.Phantom++;
            report.Add("reader", $"{name} saw {Describe(events[^1])}, which is not in the final history");
            return;
        }
        var expected = reference.Skip(start).Take(Math.Max(0, end - start)).ToList();
        if (!SameEvents(events, expected, out var difference))
        {
            var seen = events.Select(e => e.Id).ToHashSet();
            report.Missed += expected.Count(e => !seen.Contains(e.Id));
            report.Add("reader", $"{name} differs from the final history over its range: {difference}");
        }
    }

    private static bool SameEvents(IReadOnlyList<ObservedEvent> seen, List<ObservedEvent> expected, out string difference)
    {
        for (var i = 0; i < Math.Min(seen.Count, expected.Count); i++)
        {
            if (seen[i] != expected[i])
            {
                difference = $"at index {i} saw {Describe(seen[i])} where the final history has {Describe(expected[i])}";
                return false;
            }
        }
        difference = seen.Count == expected.Count ? ""
            : seen.Count > expected.Count ? $"{seen.Count - expected.Count} extra events, first {Describe(seen[expected.Count])}"
            : $"{expected.Count - seen.Count} events missing, first {Describe(expected[seen.Count])}";
        return seen.Count == expected.Count;
    }

    private static int IndexOf(IReadOnlyList<ObservedEvent> events, ObservedEvent target)
    {
        for (var i = 0; i < events.Count; i++)
            if (events[i].Id == target.Id && events[i].Version == target.Version && events[i].Stream == target.Stream) return i;
        return -1;
    }

    private static int CountWhile(IReadOnlyList<ObservedEvent> events, Func<ObservedEvent, bool> predicate)
    {
        var i = 0;
        while (i < events.Count && predicate(events[i])) i++;
        return i;
    }

    private static string Summary(AppendOperation op) =>
        string.Join(" + ", op.Parts.Select(p => $"{p.EventIds.Count} to '{p.Stream}' expecting {p.Expected}")) + $", {op.Attempts.Count} attempts";

    internal static string Describe(ObservedEvent e) => $"{e.Stream}@{e.Version} {e.Position} {e.Id}";
}
