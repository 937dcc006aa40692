using System.Globalization;
using System.Text;
using Fossil.Kv;
using Fossil.Kv.Etcd;

// Usage: TestWriter <endpoints> <root-prefix> <streams> <seconds> <segment-duration> <partitions>
// Prints one line per acknowledged append: "ack <stream> <first> <last> <position>".
var endpoints = args[0].Split(',');
var options = new FossilOptions
{
    RootPrefix = args[1],
    Etcd = new EtcdClientOptions { Endpoints = endpoints },
};
options.Segment.Duration = args[4];
options.Segment.Partitions = int.Parse(args[5], CultureInfo.InvariantCulture);
var streams = int.Parse(args[2], CultureInfo.InvariantCulture);
var until = DateTime.UtcNow.AddSeconds(double.Parse(args[3], CultureInfo.InvariantCulture));

await using var store = await EventStore.ConnectAsync(options);
var output = Console.Out;
var writers = Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
{
    var random = new Random(Environment.ProcessId * 31 + w);
    while (DateTime.UtcNow < until)
    {
        var stream = $"shared-{random.Next(streams)}";
        var events = Enumerable.Range(0, 1 + random.Next(3))
            .Select(i => new EventData(Guid.NewGuid(), "written", Encoding.UTF8.GetBytes($"{{\"pid\":{Environment.ProcessId}}}")))
            .ToArray();
        // A client retries an append whose outcome it did not learn with the same event ids.
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                var result = await store.AppendToStreamAsync(stream, StreamState.Any, events);
                lock (output) output.WriteLine(FormattableString.Invariant($"ack {result.Stream} {result.FirstVersion} {result.LastVersion} {result.Position}"));
                break;
            }
            catch (StoreUnavailableException) when (attempt < 10)
            {
                await Task.Delay(100);
            }
        }
    }
})).ToArray();
await Task.WhenAll(writers);
return 0;
