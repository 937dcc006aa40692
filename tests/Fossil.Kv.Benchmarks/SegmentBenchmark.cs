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
            var etcd = await BestOfAsync(() => ReadThroughApiAsync(fromEtcd, segment));
            var rawEtcd = await BestOfAsync(() => ReadRawRangesAsync(fromEtcd, segment, events));
            // ...and one that materialized it reads the files.
            await using var fromFiles = await Connect(endpoints, prefix, directory);
            await fromFiles.MaterializeSegmentAsync(segment);
            var files = await BestOfAsync(() => ReadThroughApiAsync(fromFiles, segment));
            var inPlaceApi = await BestOfAsync(() => ReadInPlaceThroughApiAsync(fromFiles, segment));
            var (decoded, inPlace) = await TimeFileScansAsync(Path.Combine(directory, segment));
            var documents = Path.Combine(directory, segment, "documents.dat");
            var cat = TimeCat(documents);

            Console.WriteLine();
            Console.WriteLine("| read of one sealed segment | events/s | MB/s | ÷ etcd |");
            Console.WriteLine("|---|---:|---:|---:|");
            Console.WriteLine(Row("from etcd (ReadSegmentAsync)", etcd.EventsPerSecond, etcd.MegabytesPerSecond, 1));
            Console.WriteLine(Row("etcd Range of the segment's batch keys, values not decoded", rawEtcd.EventsPerSecond, rawEtcd.MegabytesPerSecond, rawEtcd.EventsPerSecond / etcd.EventsPerSecond));
            Console.WriteLine(Row("from the mapped files (ReadSegmentAsync)", files.EventsPerSecond, files.MegabytesPerSecond, files.EventsPerSecond / etcd.EventsPerSecond));
            Console.WriteLine(Row("the mapped files read in place through the API (OpenSealedSegmentAsync + EventRecordView)", inPlaceApi.EventsPerSecond, inPlaceApi.MegabytesPerSecond, inPlaceApi.EventsPerSecond / etcd.EventsPerSecond));
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

    /// <summary>
    /// Events/s and MB/s of the fastest of <see cref="Passes"/> timed passes after untimed ones for at least
    /// <see cref="WarmUp"/>: the runtime compiles hot code in tiers, and a read's first passes run before its
    /// optimized code is in place.
    /// </summary>
    private static async Task<(double EventsPerSecond, double MegabytesPerSecond)> BestOfAsync(Func<Task<(long Events, long Bytes)>> read)
    {
        var warming = Stopwatch.StartNew();
        for (var pass = 0; pass < Passes || warming.Elapsed < WarmUp; pass++) await read();
        var best = (Seconds: double.MaxValue, Events: 0L, Bytes: 0L);
        for (var pass = 0; pass < Passes; pass++)
        {
            var watch = Stopwatch.StartNew();
            var (events, bytes) = await read();
            if (watch.Elapsed.TotalSeconds < best.Seconds) best = (watch.Elapsed.TotalSeconds, events, bytes);
        }
        return (best.Events / best.Seconds, best.Bytes / 1e6 / best.Seconds);
    }

    private const int Passes = 5;
    private static readonly TimeSpan WarmUp = TimeSpan.FromSeconds(2);

    /// <summary>Every event of the segment as <see cref="RecordedEvent"/>s through <see cref="EventStore.ReadSegmentAsync"/>.</summary>
    private static async Task<(long Events, long Bytes)> ReadThroughApiAsync(EventStore store, string segment)
    {
        long count = 0, bytes = 0;
        await foreach (var e in store.ReadSegmentAsync(segment))
        {
            count++;
            bytes += e.Data.Length + e.Type.Length + e.Stream.Length + 40;
        }
        return (count, bytes);
    }

    /// <summary>The segment's batch keys read from etcd in pages of 64 at one revision, as the store's reader pages them, without decoding.</summary>
    private static async Task<(long Events, long Bytes)> ReadRawRangesAsync(EventStore store, string segment, long events)
    {
        var keys = store.Context.Keys;
        var id = Fossil.Kv.Segments.SegmentId.Parse(segment);
        var end = Fossil.Kv.Keyspace.KeyLayout.PrefixEnd(keys.BatchPrefix(id));
        var next = keys.BatchPrefix(id);
        long bytes = 0, revision = 0;
        while (true)
        {
            var request = Fossil.Kv.Keyspace.Ops.Range(next, end, 64);
            request.Revision = revision;
            var page = await store.Etcd.RangeAsync(request);
            revision = page.Header.Revision;
            foreach (var kv in page.Kvs) bytes += kv.Value.Length;
            if (!page.More || page.Kvs.Count == 0) return (events, bytes);
            next = [.. page.Kvs[^1].Key.Span, 0];
        }
    }

    /// <summary>
    /// The public bulk read: open the sealed segment (a catalog read and a lease on its files), read every event
    /// in place (stream, type and data as slices of the mapping) and let the files go.
    /// </summary>
    private static async Task<(long Events, long Bytes)> ReadInPlaceThroughApiAsync(EventStore store, string segment)
    {
        long count = 0, bytes = 0;
        using var files = await store.OpenSealedSegmentAsync(segment);
        foreach (var document in files.ReadAll())
        {
            var e = EventRecordView.Read(document);
            count++;
            bytes += e.Data.Length + e.TypeUtf8.Length + e.StreamUtf8.Length + 40;
        }
        return (count, bytes);
    }

    /// <summary>
    /// Two synchronous scans of the materialized files: records decoded into RecordedEvents (what the async API
    /// adds on top of this is its per-event enumeration), and records visited in place (position, revision and
    /// the record's bytes in the mapping, nothing copied).
    /// </summary>
    private static async Task<((double EventsPerSecond, double MegabytesPerSecond) Decoded, (double EventsPerSecond, double MegabytesPerSecond) InPlace)> TimeFileScansAsync(string segmentDirectory)
    {
        using var files = Fossil.Kv.SegmentFiles.SegmentFileSet.Open(segmentDirectory, populate: true);
        var name = Path.GetFileName(segmentDirectory);
        var decoder = new Fossil.Kv.Reads.RecordDecoder();
        var decoded = await BestOfAsync(() =>
        {
            long bytes = 0;
            foreach (var document in files.ReadAll())
            {
                var e = decoder.Decode(document.Record.Span, name, document.SegmentPosition, document.CommitRevision);
                bytes += e.Data.Length + e.Type.Length + e.Stream.Length + 40;
            }
            return Task.FromResult((Events: (long)files.Count, Bytes: bytes));
        });
        var inPlace = await BestOfAsync(() =>
        {
            long bytes = 0;
            foreach (var document in files.ReadAll()) bytes += document.Record.Length + (document.Position.Revision & 1);
            return Task.FromResult((Events: (long)files.Count, Bytes: bytes));
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
