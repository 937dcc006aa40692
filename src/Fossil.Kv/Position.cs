using System.Globalization;

namespace Fossil.Kv;

/// <summary>
/// An event's global position: the etcd revision that committed it and its index within that
/// transaction. Positions totally order all events in commit order, across segments and partitions.
/// The string form is fixed-width (<c>00000000000000012345-0007</c>), so ordinal string comparison is
/// commit order.
/// </summary>
/// <param name="Revision">The etcd revision of the transaction that committed the event.</param>
/// <param name="Index">The event's index within that transaction, from 0 and below <see cref="IndexLimit"/>.</param>
public readonly record struct Position(long Revision, int Index) : IComparable<Position>
{
    /// <summary>Events of one transaction are indexed below this; segment positions embed it.</summary>
    public const int IndexLimit = 4096;

    /// <summary>Before every event: reading the global log from here reads it all.</summary>
    public static Position Start { get; } = new(0, 0);

    /// <summary>The smallest position after this one: where a reader that has seen this position continues.</summary>
    public Position Successor => Index + 1 < IndexLimit ? this with { Index = Index + 1 } : new Position(Revision + 1, 0);

    /// <summary>
    /// The largest position before this one, or null before <see cref="Start"/>: reading from a position (inclusive) is
    /// subscribing after its predecessor (exclusive).
    /// </summary>
    public Position? Predecessor =>
        Index > 0 ? this with { Index = Index - 1 }
        : Revision > 0 ? new Position(Revision - 1, IndexLimit - 1)
        : null;

    /// <summary>
    /// The last position of etcd revision <paramref name="revision"/>, after every event it committed. No event ever holds
    /// it (a transaction carries at most 4,000 events, indexed from 0), so as a place to go on from it means the same read
    /// inclusively (<c>from</c>) or exclusively (<c>after</c>): everything committed after that revision.
    /// </summary>
    public static Position EndOfRevision(long revision) => new(revision, IndexLimit - 1);

    /// <summary>Orders by <see cref="Revision"/>, then <see cref="Index"/>: commit order.</summary>
    public int CompareTo(Position other)
    {
        var byRevision = Revision.CompareTo(other.Revision);
        return byRevision != 0 ? byRevision : Index.CompareTo(other.Index);
    }

    /// <summary>The canonical fixed-width form, e.g. <c>00000000000000012345-0007</c>.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Revision:D20}-{Index:D4}");

    /// <summary>Accepts the canonical form, or a bare revision (meaning index 0 of that revision).</summary>
    public static bool TryParse(string? text, out Position position)
    {
        position = default;
        if (string.IsNullOrEmpty(text)) return false;
        var dash = text.IndexOf('-', StringComparison.Ordinal);
        var revisionText = dash < 0 ? text.AsSpan() : text.AsSpan(0, dash);
        if (!long.TryParse(revisionText, NumberStyles.None, CultureInfo.InvariantCulture, out var revision)) return false;
        var index = 0;
        if (dash >= 0 && (!int.TryParse(text.AsSpan(dash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out index) || index >= IndexLimit))
            return false;
        position = new Position(revision, index);
        return true;
    }

    /// <summary>Parses what <see cref="TryParse"/> accepts.</summary>
    /// <exception cref="FormatException"><paramref name="text"/> is not a position.</exception>
    public static Position Parse(string text) =>
        TryParse(text, out var position) ? position : throw new FormatException($"'{text}' is not a position (expected e.g. 00000000000000012345-0007).");

    /// <summary>Whether <paramref name="left"/> was committed before <paramref name="right"/>.</summary>
    public static bool operator <(Position left, Position right) => left.CompareTo(right) < 0;

    /// <summary>Whether <paramref name="left"/> was committed after <paramref name="right"/>.</summary>
    public static bool operator >(Position left, Position right) => left.CompareTo(right) > 0;

    /// <summary>Whether <paramref name="left"/> is <paramref name="right"/> or was committed before it.</summary>
    public static bool operator <=(Position left, Position right) => left.CompareTo(right) <= 0;

    /// <summary>Whether <paramref name="left"/> is <paramref name="right"/> or was committed after it.</summary>
    public static bool operator >=(Position left, Position right) => left.CompareTo(right) >= 0;
}
