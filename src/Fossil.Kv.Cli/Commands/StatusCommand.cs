using System.CommandLine;
using Etcdserverpb;
using Fossil.Kv.Cli.Output;
using Fossil.Kv.Cluster;
using Fossil.Kv.Keyspace;
using Fossil.Kv.Segments;
using Google.Protobuf;
using Spectre.Console;

namespace Fossil.Kv.Cli.Commands;

/// <summary><c>fossil status</c>: the etcd cluster and the store at a glance. Reads only; never seeds a store.</summary>
internal static class StatusCommand
{
    public static Command Create(CommandRunner runner)
    {
        var command = new Command("status", "etcd members and leader, database sizes, alarms, the store's active segments, live nodes and key counts");
        runner.SetAction(command, RunAsync);
        return command;
    }

    private static async Task RunAsync(CliContext context)
    {
        var cluster = await ClusterStatus.ReadAsync(context.Etcd, context.CancellationToken);
        var store = await StoreStatus.ReadAsync(context, context.CancellationToken);
        if (context.Json)
        {
            context.WriteJson(writer =>
            {
                writer.WriteStartObject();
                writer.WritePropertyName("etcd");
                cluster.WriteJson(writer);
                writer.WritePropertyName("store");
                store.WriteJson(writer);
                writer.WriteEndObject();
            });
            return;
        }
        cluster.Render(context.Console);
        store.Render(context.Console);
    }
}

/// <summary>The store's side of <c>status</c>, read straight from its keys.</summary>
internal sealed record StoreStatus(
    string Prefix, bool Initialized, WindowRecord? Window, IReadOnlyList<SegmentRecord> ActiveSegments, IReadOnlyList<(string Name, long Count)> KeyCounts,
    IReadOnlyList<NodeInfo> Nodes, string? BackgroundWork)
{
    public static async Task<StoreStatus> ReadAsync(CliContext context, CancellationToken cancellationToken)
    {
        var etcd = context.Etcd;
        var keys = context.Keys;
        var config = await etcd.GetAsync(ByteString.CopyFrom(keys.Config), cancellationToken);
        var windowResponse = await etcd.GetAsync(ByteString.CopyFrom(keys.Window), cancellationToken);
        var window = windowResponse.Kvs.Count == 0 ? null : WindowRecord.FromJsonBytes(windowResponse.Kvs[0].Value.Span);
        var active = new List<SegmentRecord>();
        if (window is not null)
        {
            var records = await Task.WhenAll(window.Segments.Select(sid =>
                etcd.GetAsync(ByteString.CopyFrom(keys.Segment(SegmentId.Parse(sid))), cancellationToken)));
            active.AddRange(records.Where(r => r.Kvs.Count > 0).Select(r => SegmentRecord.FromJsonBytes(r.Kvs[0].Value.Span)));
        }
        (string Name, byte[] Prefix)[] families =
        [
            ("meta", keys.MetaPrefix), ("segments", keys.SegmentsPrefix), ("streams", keys.StreamsPrefix),
            ("nodes", keys.NodesPrefix), ("data", keys.DataPrefix),
        ];
        var counts = await Task.WhenAll(families.Select(async f => (f.Name, await CountAsync(context, f.Prefix, cancellationToken))));
        // Read straight from the keys, as nodes list does through the store, without opening (or seeding) one.
        var nodeKeys = await etcd.RangeAsync(new RangeRequest
        {
            Key = ByteString.CopyFrom(keys.NodesPrefix),
            RangeEnd = ByteString.CopyFrom(KeyLayout.PrefixEnd(keys.NodesPrefix)),
        }, cancellationToken);
        var nodes = nodeKeys.Kvs.Select(kv => NodeInfo.FromJsonBytes(kv.Value.Span)).ToList();
        var work = await etcd.GetAsync(ByteString.CopyFrom(keys.BackgroundWork), cancellationToken);
        var holder = work.Kvs.Count > 0 ? work.Kvs[0].Value.ToStringUtf8() : null;
        return new StoreStatus(keys.RootPrefix, config.Kvs.Count > 0, window, active, counts, nodes, holder);
    }

    /// <summary>Keys under a prefix, counted by etcd (<c>count_only</c>) without sending them.</summary>
    public static async Task<long> CountAsync(CliContext context, byte[] prefix, CancellationToken cancellationToken)
    {
        var request = new RangeRequest
        {
            Key = ByteString.CopyFrom(prefix),
            RangeEnd = ByteString.CopyFrom(KeyLayout.PrefixEnd(prefix)),
            CountOnly = true,
        };
        return (await context.Etcd.RangeAsync(request, cancellationToken)).Count;
    }

    public void WriteJson(System.Text.Json.Utf8JsonWriter writer)
    {
        writer.WriteStartObject();
        writer.WriteString("prefix", Prefix);
        writer.WriteBoolean("initialized", Initialized);
        if (Window is null) writer.WriteNull("window");
        else
        {
            writer.WriteStartObject("window");
            writer.WriteString("start", Window.Start);
            writer.WriteString("end", Window.End);
            writer.WriteNumber("partitions", Window.Partitions);
            writer.WriteEndObject();
        }
        writer.WriteStartArray("active_segments");
        foreach (var segment in ActiveSegments) JsonOutput.WriteSegment(writer, segment);
        writer.WriteEndArray();
        NodeInfo.WriteListProperties(writer, Nodes, BackgroundWork);
        writer.WriteStartObject("keys");
        foreach (var (name, count) in KeyCounts) writer.WriteNumber(name, count);
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    public void Render(IAnsiConsole console)
    {
        var prefix = Prefix.Length == 0 ? "(none)" : Prefix;
        console.WriteLine();
        if (!Initialized)
        {
            console.WriteLine($"store at prefix {prefix}: not initialized (no /meta/config); a node or the first append creates it");
        }
        else
        {
            console.WriteLine(Window is null
                ? $"store at prefix {prefix}: no window yet (nothing appended)"
                : $"store at prefix {prefix}: window {ConsoleOutput.Time(Window.Start)} .. {ConsoleOutput.Time(Window.End)}, {Window.Partitions} partitions");
        }
        if (ActiveSegments.Count > 0)
        {
            var table = ConsoleOutput.NewTable("active segment", "partition", "events", "size");
            foreach (var s in ActiveSegments)
                table.AddTextRow(s.SegmentId, s.Partition.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    s.DocumentCount.ToString(System.Globalization.CultureInfo.InvariantCulture), ConsoleOutput.Bytes(s.SizeBytes));
            console.Write(table);
        }
        if (Initialized)
        {
            console.WriteLine(Nodes.Count == 0
                ? "nodes: none alive"
                : "nodes: " + string.Join(", ", Nodes.Select(n => n.Id == BackgroundWork ? $"{n.Id} (background work)" : n.Id)));
        }
        console.WriteLine("keys: " + string.Join(", ", KeyCounts.Select(k => $"{k.Name} {k.Count}")));
    }
}
