using System.CommandLine;
using Fossil.Kv.Cli.Output;
using Spectre.Console;

namespace Fossil.Kv.Cli.Commands;

/// <summary><c>fossil nodes list</c>: the nodes alive in <c>/meta/nodes</c> (their leases keep them there).</summary>
internal static class NodeCommands
{
    public static Command Create(CommandRunner runner)
    {
        var command = new Command("nodes", "the node processes serving this store");
        var list = new Command("list", "nodes whose lease is alive");
        runner.SetAction(list, async context =>
        {
            var store = await context.OpenStoreAsync();
            var nodes = await store.ListNodesAsync(context.CancellationToken);
            var holder = await store.GetBackgroundWorkHolderAsync(context.CancellationToken);
            if (context.Json)
            {
                context.WriteJson(writer => Kv.Cluster.NodeInfo.WriteListJson(writer, nodes, holder));
                return;
            }
            var table = Output.ConsoleOutput.NewTable("node", "urls", "started at", "version", "background work");
            foreach (var node in nodes)
                table.AddTextRow(node.Id, string.Join(" ", node.Urls), ConsoleOutput.Time(node.StartedAt), node.Version, node.Id == holder ? "holds" : "");
            context.Console.Write(table);
            context.Console.WriteLine($"{nodes.Count} node(s)");
        });
        command.Add(list);
        return command;
    }
}
