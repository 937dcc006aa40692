namespace Fossil.Kv.Tests.Lifecycle;

/// <summary>Every way of reading the given streams and segments, one line per event with every field, to compare storage states.</summary>
internal static class ReadSnapshot
{
    public static string Describe(RecordedEvent e) =>
        $"{e.Id}|{e.Stream}|{e.Version}|{e.Type}|{Convert.ToBase64String(e.Data.Span)}|{e.IsJson}|{Convert.ToBase64String(e.Metadata.Span)}|{e.Timestamp:O}|{e.Position}|{e.Segment}|{e.SegmentPosition}|{string.Join(",", e.Entities)}";

    public static async Task<List<string>> TakeAsync(EventStore store, IEnumerable<string> streams, IEnumerable<string> segments)
    {
        var lines = new List<string>();
        lines.AddRange((await store.ReadAllAsync(Position.Start).ToListAsync()).Select(e => "all " + Describe(e)));
        foreach (var stream in streams)
        {
            lines.AddRange((await store.ReadStreamAsync(stream).ToListAsync()).Select(e => "fwd " + Describe(e)));
            lines.AddRange((await store.ReadStreamAsync(stream, Direction.Backwards, -1).ToListAsync()).Select(e => "bwd " + Describe(e)));
            lines.AddRange((await store.ReadStreamAsync(stream, Direction.Forwards, 3, 4).ToListAsync()).Select(e => "mid " + Describe(e)));
        }
        foreach (var segment in segments) lines.AddRange((await store.ReadSegmentAsync(segment).ToListAsync()).Select(e => "seg " + Describe(e)));
        return lines;
    }
}
