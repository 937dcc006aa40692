using System.Diagnostics;
using System.Globalization;
using System.Text;
using Fossil.Kv.Etcd;
using Fossil.Kv.Testing;

namespace Fossil.Kv.Benchmarks;

/// <summary>
/// Sealed-segment reads from the memory-mapped files beside the same reads from etcd and beside `cat` of
/// documents.dat from the page cache, all in one run; then eviction time for segments of growing size.
/// </summary>
internal static class SegmentBenchmark
{
    public static async Task<int> RunAsync(int events, int[] evictionSizes)
    {
        await using var cluster = await EtcdCluster.StartAsync(1);
        var endpoints = cluster.ClientUrls.Select(u => u.AbsoluteUri.TrimEnd('/')).ToArray();
        var directory = Directory.CreateTempSubdirectory("fossil-bench-segments-").FullName;
        try
        {
            Console.WriteLine($"etcd {string.Join(",", endpoints)}; {Environment.ProcessorCount} cores; {events:N0} events of 256 B in one segment");
            var (prefix, segment) = await FillSegmentAsync(endpoints, directory, events, "reads");

            // Same API, same segment: a store that has no local files reads it from etcd...
            await using var fromEtcd = await Connect(endpoints, prefix, Path.Combine(directory, "none"));
            var etcd = await TimeReadAsync(fromEtcd, segment);
            // ...and one that materialized it reads the files.
            await using var fromFiles = await Connect(endpoints, prefix, directory);
            await fromFiles.MaterializeSegmentAsync(segment);
            await TimeReadAsync(fromFiles, segment); // warm the page cache and the code
            var files = await TimeReadAsync(fromFiles, segment);
            var (decoded, inPlace) = TimeFileScans(Path.Combine(directory, segment));
            var documents = Path.Combine(directory, segment, "documents.dat");
            var cat = TimeCat(documents);

            Console.WriteLine();
            Console.WriteLine("| read of one sealed segment | events/s | MB/s | ÷ etcd |");
            Console.WriteLine("|---|---:|---:|---:|");
            Console.WriteLine(Row("from etcd (ReadSegmentAsync)", etcd.EventsPerSecond, etcd.MegabytesPerSecond, 1));
            Console.WriteLine(Row("from the mapped files (ReadSegmentAsync)", files.EventsPerSecond, files.MegabytesPerSecond, files.EventsPerSecond / etcd.EventsPerSecond));
            Console.WriteLine(Row("the mapped files decoded to RecordedEvents without the async API (SegmentFileSet + RecordDecoder)", decoded.EventsPerSecond, decoded.MegabytesPerSecond, decoded.EventsPerSecond / etcd.EventsPerSecond));
            Console.WriteLine(Row("the mapped files' records in place, zero-copy (SegmentFileSet.ReadAll)", inPlace.EventsPerSecond, inPlace.MegabytesPerSecond, inPlace.EventsPerSecond / etcd.EventsPerSecond));
            Console.WriteLine(Row("cat documents.dat > /dev/null (page cache)", events / cat.TotalSeconds, new FileInfo(documents).Length / 1e6 / cat.TotalSeconds, events / cat.TotalSeconds / etcd.EventsPerSecond));

            Console.WriteLine();
            Console.WriteLine("| eviction of a sealed, materialized segment | events | time ms |");
            Console.WriteLine("|---|---:|---:|");
            foreach (var size in evictionSizes)
            {
                var (evictPrefix, evictSegment) = await FillSegmentAsync(endpoints, directory, size, $"evict-{size}");
                await using var store = await Connect(endpoints, evictPrefix, directory);
                await store.MaterializeSegmentAsync(evictSegment);
                var watch = Stopwatch.StartNew();
                await store.EvictSegmentAsync(evictSegment);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {size / 1000}k | {size:N0} | {watch.Elapsed.TotalMilliseconds:F1} |"));
            }
            return 0;
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static Task<EventStore> Connect(string[] endpoints, string prefix, string directory)
    {
        var options = new FossilOptions { RootPrefix = prefix, Etcd = new EtcdClientOptions { Endpoints = endpoints } };
        options.Segment.Partitions = 1;
        options.Segment.Directory = directory;
        return EventStore.ConnectAsync(options);
    }

    /// <summary>Appends events of 256 B (10 per append, 100 streams, 16 writers) into one segment, then seals it.</summary>
    private static async Task<(string Prefix, string Segment)> FillSegmentAsync(string[] endpoints, string directory, int events, string name)
    {
        var prefix = $"/bench-{name}-{Guid.NewGuid():N}";
        await using var store = await Connect(endpoints, prefix, directory);
        var data = Encoding.UTF8.GetBytes($"{{\"payload\":\"{new string('x', 240)}\"}}");
        var appends = (events + 9) / 10;
        var next = -1;
        string? segment = null;
        await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < appends)
            {
                var count = Math.Min(10, events - i * 10);
                var result = await store.AppendToStreamAsync($"stream-{i % 100}", StreamState.Any,
                    [.. Enumerable.Range(0, count).Select(_ => new EventData(null, "bench", data))]);
                segment = result.Segment;
            }
        })));
        await store.SealSegmentAsync(segment!);
        return (prefix, segment!);
    }

    private static async Task<(double EventsPerSecond, double MegabytesPerSecond)> TimeReadAsync(EventStore store, string segment)
    {
        long count = 0, bytes = 0;
        var watch = Stopwatch.StartNew();
        await foreach (var e in store.ReadSegmentAsync(segment))
        {
            count++;
            bytes += e.Data.Length + e.Type.Length + e.Stream.Length + 40;
        }
        var seconds = watch.Elapsed.TotalSeconds;
        return (count / seconds, bytes / 1e6 / seconds);
    }

    /// <summary>
    /// Two synchronous scans of the materialized files, each the best of three passes: records decoded into
    /// RecordedEvents (what the async API adds on top of this is its per-event enumeration), and records
    /// visited in place (position, revision and the record's bytes in the mapping, nothing copied).
    /// </summary>
    private static ((double EventsPerSecond, double MegabytesPerSecond) Decoded, (double EventsPerSecond, double MegabytesPerSecond) InPlace) TimeFileScans(string segmentDirectory)
    {
        using var files = Fossil.Kv.SegmentFiles.SegmentFileSet.Open(segmentDirectory, populate: true);
        var name = Path.GetFileName(segmentDirectory);
        (double, double) Best(Func<long> scan)
        {
            var best = double.MaxValue;
            long bytes = 0;
            for (var pass = 0; pass < 3; pass++)
            {
                var watch = Stopwatch.StartNew();
                bytes = scan();
                best = Math.Min(best, watch.Elapsed.TotalSeconds);
            }
            return (files.Count / best, bytes / 1e6 / best);
        }
        var decoder = new Fossil.Kv.Reads.RecordDecoder();
        var decoded = Best(() =>
        {
            long bytes = 0;
            foreach (var document in files.ReadAll())
            {
                var e = decoder.Decode(document.Record.Span, name, document.SegmentPosition, document.CommitRevision);
                bytes += e.Data.Length + e.Type.Length + e.Stream.Length + 40;
            }
            return bytes;
        });
        var inPlace = Best(() =>
        {
            long bytes = 0;
            foreach (var document in files.ReadAll()) bytes += document.Record.Length + (document.Position.Revision & 1);
            return bytes;
        });
        return (decoded, inPlace);
    }

    private static TimeSpan TimeCat(string path)
    {
        using (var warm = Process.Start(new ProcessStartInfo("cat", path) { RedirectStandardOutput = true })!)
        {
            warm.StandardOutput.BaseStream.CopyTo(Stream.Null);
            warm.WaitForExit();
        }
        var watch = Stopwatch.StartNew();
        using var cat = Process.Start(new ProcessStartInfo("sh") { ArgumentList = { "-c", $"cat '{path}' > /dev/null" } })!;
        cat.WaitForExit();
        return watch.Elapsed;
    }

    private static string Row(string what, double eventsPerSecond, double megabytesPerSecond, double ratio) =>
        string.Create(CultureInfo.InvariantCulture, $"| {what} | {eventsPerSecond:N0} | {megabytesPerSecond:F1} | {ratio:F1}× |");
}
