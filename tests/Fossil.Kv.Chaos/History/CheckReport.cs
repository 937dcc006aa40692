using System.Globalization;
using System.Text;

namespace Fossil.Kv.Chaos.History;

/// <summary>A contract violation found in a history: the rule it breaks and the history excerpt that shows it.</summary>
public sealed record Violation(string Rule, string Detail);

/// <summary>The checker's figures and violations; <see cref="Passed"/> only when there are none.</summary>
public sealed class CheckReport
{
    private readonly List<Violation> _violations = [];

    public int OperationsAttempted { get; internal set; }
    public int Acknowledged { get; internal set; }
    public int FailedDefinite { get; internal set; }
    public int Unknown { get; internal set; }
    public int UnknownPresent { get; internal set; }
    public int UnknownAbsent { get; internal set; }

    /// <summary>Acknowledged events missing from the final history.</summary>
    public int Lost { get; internal set; }

    /// <summary>Extra copies of events where the contract promises exactly once.</summary>
    public int Duplicated { get; internal set; }

    /// <summary>Extra copies the contract allows: an <c>any</c> append re-sent after another append landed on top of it.</summary>
    public int DuplicatedPermitted { get; internal set; }

    /// <summary>Events seen behind one already passed, in the final log or by a reader or subscriber.</summary>
    public int OutOfOrder { get; internal set; }

    /// <summary>Events in the final history (or seen by a reader) that no client sent there.</summary>
    public int Phantom { get; internal set; }

    /// <summary>Events in a reader's or subscriber's range that it never saw.</summary>
    public int Missed { get; internal set; }

    /// <summary>HTTP attempts in all, and those refused before the request reached a node.</summary>
    public int Attempts { get; internal set; }
    public int NotSent { get; internal set; }

    /// <summary>Operations sent again with the same event ids after an attempt with an unknown outcome.</summary>
    public int RetriedAfterUnknown { get; internal set; }

    /// <summary>Operations deliberately sent once more after their acknowledgement, as after a lost answer.</summary>
    public int Resent { get; internal set; }

    /// <summary>Attempts answered 503 <c>unavailable</c> (the contract's answer while etcd cannot commit) and 500 <c>internal</c> (never meant to happen).</summary>
    public int Unavailable { get; internal set; }
    public int InternalErrors { get; internal set; }

    /// <summary>Attempts answered 200: an idempotent repeat of an append already written.</summary>
    public int Repeats { get; internal set; }

    public int EventsSent { get; internal set; }
    public int EventsInLog { get; internal set; }
    public int Observations { get; internal set; }
    public long EventsObserved { get; internal set; }

    public IReadOnlyList<Violation> Violations => _violations;

    public bool Passed => _violations.Count == 0;

    internal void Add(string rule, string detail) => _violations.Add(new Violation(rule, detail));

    /// <summary>The table the chaos run prints, and the violations below it (at most <paramref name="maxViolations"/>).</summary>
    public string Format(int maxViolations = 40)
    {
        var rows = new (string Name, string Value)[]
        {
            ("operations attempted", $"{N(OperationsAttempted)} ({N(Attempts)} HTTP attempts, {N(NotSent)} refused before reaching a node)"),
            ("  retried with the same ids after an unknown attempt", N(RetriedAfterUnknown)),
            ("  re-sent after their acknowledgement", N(Resent)),
            ("  answered as an idempotent repeat (200)", N(Repeats)),
            ("  answered 503 unavailable / 500 internal", $"{N(Unavailable)} / {N(InternalErrors)}"),
            ("acknowledged", N(Acknowledged)),
            ("failed, definite error", N(FailedDefinite)),
            ("unknown outcome", $"{N(Unknown)} (resolved: {N(UnknownPresent)} present, {N(UnknownAbsent)} absent)"),
            ("lost (acknowledged events missing)", N(Lost)),
            ("duplicated (events)", $"{N(Duplicated)} (+{N(DuplicatedPermitted)} permitted: `any` re-sent after a later append)"),
            ("out of order (events)", N(OutOfOrder)),
            ("phantom (events never sent)", N(Phantom)),
            ("missed by a reader/subscriber", N(Missed)),
            ("events sent / in final log", $"{N(EventsSent)} / {N(EventsInLog)}"),
            ("reads and subscriptions checked", $"{N(Observations)} ({EventsObserved.ToString("N0", CultureInfo.InvariantCulture)} events)"),
            ("violations", N(_violations.Count)),
        };
        var width = rows.Max(r => r.Name.Length);
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"| {"".PadRight(width)} | value |\n|{new string('-', width + 2)}|-------|\n");
        foreach (var (name, value) in rows) text.Append(CultureInfo.InvariantCulture, $"| {name.PadRight(width)} | {value} |\n");
        foreach (var group in _violations.GroupBy(v => v.Rule))
        {
            text.Append(CultureInfo.InvariantCulture, $"\nVIOLATION {group.Key} ({group.Count()}):\n");
            foreach (var v in group.Take(maxViolations)) text.Append("  ").Append(v.Detail).Append('\n');
        }
        return text.ToString();
    }

    private static string N(int value) => value.ToString("N0", CultureInfo.InvariantCulture);
}
