using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Fossil.Kv.Cli.Output;
using Fossil.Kv.Etcd;
using Google.Protobuf;
using Spectre.Console;

namespace Fossil.Kv.Cli.Commands;

/// <summary>
/// <c>fossil bench</c>: measures the store against the etcd it talks to, beside raw etcd operations in the same
/// run — appends beside raw Puts at each concurrency, reading the global log beside raw ranges over as many
/// keys, and vector search through the store beside an exact scan of the same vectors. It works in a store of its own under <c>&lt;prefix&gt;/fossil-bench-&lt;run&gt;</c> and deletes it
/// afterwards (unless <c>--keep</c>), so the store being operated is never touched.
/// </summary>
internal static class BenchCommand
{
    private const int DataBytes = 256;
    private const int ReadPage = 1000;
    private const int SearchK = 10;
    private const int VectorsPerAppend = 50;
    private static readonly string[] Workloads = ["append", "read", "search"];

    public static Command Create(CommandRunner runner)
    {
        var seconds = new Option<double>("--seconds") { Description = "measured time per row", DefaultValueFactory = _ => 5, HelpName = "seconds" };
        var concurrency = new Option<string>("--concurrency") { Description = "concurrent appenders, a comma-separated list", DefaultValueFactory = _ => "1,16,64", HelpName = "list" };
        var events = new Option<int>("--events") { Description = "events per append", DefaultValueFactory = _ => 1, HelpName = "n" };
        var workloads = new Option<string>("--workloads") { Description = "what to measure: append, read, search (comma-separated)", DefaultValueFactory = _ => "append,read,search", HelpName = "list" };
        var vectors = new Option<int>("--vectors") { Description = "events with vectors appended for the search workload", DefaultValueFactory = _ => 5000, HelpName = "n" };
        var dimension = new Option<int>("--dimension") { Description = "dimension of the search workload's vectors", DefaultValueFactory = _ => 64, HelpName = "d" };
        var keep = new Option<bool>("--keep") { Description = "keep the benchmark's keys instead of deleting them at the end" };
        var command = new Command("bench", "measure appends, reads and search against this etcd, beside raw etcd Puts, ranges and an exact scan in the same run")
        {
            seconds, concurrency, events, workloads, vectors, dimension, keep,
        };
        runner.SetAction(command, async context =>
        {
            var result = context.ParseResult;
            var settings = new BenchSettings(
                result.GetValue(seconds), ParseConcurrencies(result.GetValue(concurrency)!), result.GetValue(events), ParseWorkloads(result.GetValue(workloads)!),
                result.GetValue(vectors), result.GetValue(dimension));
            if (!(settings.Seconds is > 0 and <= 3600)) throw CliException.Invalid($"--seconds must be more than 0 and at most 3600 (got {settings.Seconds.ToString(CultureInfo.InvariantCulture)}).");
            if (settings.EventsPerAppend is < 1 or > 1000) throw CliException.Invalid($"--events must be 1 to 1000 (got {settings.EventsPerAppend}).");
            if (settings.Vectors is < SearchK or > 1_000_000) throw CliException.Invalid($"--vectors must be {SearchK} to 1000000 (got {settings.Vectors}).");
            if (settings.Dimension is < 2 or > 4096) throw CliException.Invalid($"--dimension must be 2 to 4096 (got {settings.Dimension}).");

            await context.Etcd.StatusAsync(context.Endpoints[0], context.CancellationToken); // unreachable etcd: fail now, not mid-run
            var run = $"{context.Prefix}/fossil-bench-{DateTime.UtcNow:yyyyMMddTHHmmss}-{Guid.NewGuid().ToString("N")[..6]}";
            var options = context.StoreOptions();
            options.RootPrefix = run;
            var rows = new List<BenchRow>();
            try
            {
                await using var store = new EventStore(context.Etcd, options);
                var bench = new BenchRun(context, store, run, settings);
                if (!context.Json && context.Console.Profile.Capabilities.Interactive)
                {
                    await context.Console.Progress().StartAsync(async progress =>
                    {
                        var task = progress.AddTask("benchmark", maxValue: bench.Steps);
                        await bench.RunAsync(rows, step => { task.Description = step; task.Increment(1); });
                    });
                }
                else
                {
                    await bench.RunAsync(rows, step => { if (!context.Json) context.Console.WriteLine(step); });
                }
            }
            finally
            {
                if (!result.GetValue(keep)) await DeleteRunAsync(context, run);
            }
            Report(context, run, settings, rows, result.GetValue(keep));
        });
        return command;
    }

    private static int[] ParseConcurrencies(string text)
    {
        var values = new List<int>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value is < 1 or > 1024)
                throw CliException.Invalid($"--concurrency takes numbers from 1 to 1024 separated by commas (got '{text}').");
            values.Add(value);
        }
        if (values.Count == 0) throw CliException.Invalid("--concurrency names no concurrency.");
        return [.. values];
    }

    private static string[] ParseWorkloads(string text)
    {
        var names = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (var name in names)
            if (!Workloads.Contains(name)) throw CliException.Invalid($"--workloads: unknown workload '{name}' (known: {string.Join(", ", Workloads)}).");
        if (names.Length == 0) throw CliException.Invalid("--workloads names no workload.");
        return names;
    }

    private static async Task DeleteRunAsync(CliContext context, string run)
    {
        var prefix = Encoding.UTF8.GetBytes(run + "/");
        await context.Etcd.DeleteRangeAsync(new Etcdserverpb.DeleteRangeRequest { Key = ByteString.CopyFrom(prefix), RangeEnd = EtcdKeys.PrefixEnd(prefix) }, CancellationToken.None);
    }

    private static void Report(CliContext context, string run, BenchSettings settings, List<BenchRow> rows, bool kept)
    {
        if (context.Json)
        {
            context.WriteJson(writer =>
            {
                writer.WriteStartObject();
                writer.WriteString("prefix", run);
                writer.WriteBoolean("kept", kept);
                writer.WriteNumber("seconds", settings.Seconds);
                writer.WriteNumber("events_per_append", settings.EventsPerAppend);
                writer.WriteStartArray("rows");
                foreach (var row in rows) row.WriteJson(writer);
                writer.WriteEndArray();
                writer.WriteEndObject();
            });
            return;
        }
        var table = ConsoleOutput.NewTable("workload", "concurrency", "ops/s", "events/s", "÷ baseline", "p50 ms", "p99 ms", "baseline", "recall@10");
        foreach (var row in rows)
        {
            table.AddTextRow(row.Workload, Invariant(row.Concurrency), Invariant(row.OpsPerSecond, "N0"), Invariant(row.EventsPerSecond, "N0"),
                row.VsBaseline is { } ratio ? Invariant(ratio, "F2") + "×" : "", Invariant(row.P50Ms, "F2"), Invariant(row.P99Ms, "F2"), row.Baseline ?? "",
                row.RecallAt10 is { } recall ? Invariant(recall, "F3") : "");
        }
        context.Console.Write(table);
        context.Console.WriteLine(kept ? $"keys kept under {run}" : $"benchmark keys under {run} deleted");
    }

    private static string Invariant(double value, string format) => value.ToString(format, CultureInfo.InvariantCulture);

    private static string Invariant(int value) => value.ToString(CultureInfo.InvariantCulture);

    private sealed record BenchSettings(double Seconds, int[] Concurrencies, int EventsPerAppend, string[] Workloads, int Vectors, int Dimension)
    {
        public TimeSpan Measured => TimeSpan.FromSeconds(Seconds);

        public TimeSpan Warmup => TimeSpan.FromSeconds(Math.Min(1, Seconds / 4));

        public bool Includes(string workload) => Workloads.Contains(workload);
    }

    /// <summary>One measured workload at one concurrency; <see cref="VsBaseline"/> compares events/s with the raw etcd row it names.</summary>
    private sealed record BenchRow(string Workload, int Concurrency, long Ops, long Events, double Seconds, double P50Ms, double P99Ms, string? Baseline, double? VsBaseline)
    {
        /// <summary>Search rows: the share of the exact top 10 that the store's answers contain.</summary>
        public double? RecallAt10 { get; init; }

        public double OpsPerSecond => Ops / Seconds;

        public double EventsPerSecond => Events / Seconds;

        public void WriteJson(Utf8JsonWriter writer)
        {
            writer.WriteStartObject();
            writer.WriteString("workload", Workload);
            writer.WriteNumber("concurrency", Concurrency);
            writer.WriteNumber("ops", Ops);
            writer.WriteNumber("events", Events);
            writer.WriteNumber("seconds", Math.Round(Seconds, 3));
            writer.WriteNumber("ops_per_second", Math.Round(OpsPerSecond, 1));
            writer.WriteNumber("events_per_second", Math.Round(EventsPerSecond, 1));
            writer.WriteNumber("p50_ms", Math.Round(P50Ms, 3));
            writer.WriteNumber("p99_ms", Math.Round(P99Ms, 3));
            if (Baseline is null) writer.WriteNull("baseline");
            else writer.WriteString("baseline", Baseline);
            if (VsBaseline is { } ratio) writer.WriteNumber("vs_baseline", Math.Round(ratio, 3));
            else writer.WriteNull("vs_baseline");
            if (RecallAt10 is { } recall) writer.WriteNumber("recall_at_10", Math.Round(recall, 4));
            writer.WriteEndObject();
        }
    }

    private sealed class BenchRun(CliContext context, EventStore store, string run, BenchSettings settings)
    {
        private readonly byte[] _value = Encoding.UTF8.GetBytes($"\"{new string('x', DataBytes - 2)}\"");

        public int Steps => (settings.Includes("append") ? settings.Concurrencies.Length * 2 : 0) + (settings.Includes("read") ? 2 : 0) + (settings.Includes("search") ? 3 : 0);

        private byte[] RawPrefix => Encoding.UTF8.GetBytes(run + "/raw/");

        public async Task RunAsync(List<BenchRow> rows, Action<string> step)
        {
            if (settings.Includes("append") || settings.Includes("read"))
            {
                foreach (var concurrency in settings.Concurrencies)
                {
                    step($"raw etcd Puts, {concurrency} concurrent");
                    var raw = await MeasureAsync("raw_put", concurrency, 1, null, null, (w, i) =>
                        context.Etcd.PutAsync(Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{run}/raw/{concurrency}/{w}/{i:D12}")), _value, context.CancellationToken));
                    rows.Add(raw);
                    if (!settings.Includes("append")) continue;
                    step($"appends of {settings.EventsPerAppend} event(s), {concurrency} concurrent");
                    rows.Add(await MeasureAsync("append", concurrency, settings.EventsPerAppend, "raw_put", raw.EventsPerSecond, (w, _) =>
                        store.AppendToStreamAsync(string.Create(CultureInfo.InvariantCulture, $"bench-{concurrency}-{w}"), StreamState.Any, NewEvents(), context.CancellationToken)));
                }
            }
            if (settings.Includes("read"))
            {
                step("raw etcd ranges over the raw Puts' keys");
                var raw = await ReadRawAsync();
                rows.Add(raw);
                step("the global log, read forwards");
                rows.Add(await ReadLogAsync(raw));
            }
            if (settings.Includes("search")) await SearchAsync(rows, step);
        }

        /// <summary>
        /// Appends clustered vectors, then measures single-threaded top-10 queries through the store (its segment
        /// indexes) beside an exact scan of the same vectors, and the store's recall against that scan.
        /// </summary>
        private async Task SearchAsync(List<BenchRow> rows, Action<string> step)
        {
            step($"appending {settings.Vectors} events with {settings.Dimension}-d vectors");
            var random = new Random(42);
            var centers = Enumerable.Range(0, 20).Select(_ => RandomVector(random, 1.0f)).ToArray();
            float[] Clustered() => [.. centers[random.Next(centers.Length)].Zip(RandomVector(random, 0.1f), (c, n) => c + n)];
            var exact = new Vectors.BruteForceIndex(settings.Dimension, Vectors.VectorMetric.Cosine, settings.Vectors);
            var idsByLabel = new List<Guid>(settings.Vectors);
            for (var appended = 0; appended < settings.Vectors; appended += VectorsPerAppend)
            {
                var batch = new EventData[Math.Min(VectorsPerAppend, settings.Vectors - appended)];
                for (var i = 0; i < batch.Length; i++)
                {
                    batch[i] = new EventData(null, "bench-vector", _value) { Vector = Clustered() };
                    exact.Add(idsByLabel.Count, batch[i].Vector);
                    idsByLabel.Add(batch[i].Id);
                }
                await store.AppendToStreamAsync($"bench-vectors-{appended / VectorsPerAppend % 16}", StreamState.Any, batch, context.CancellationToken);
            }
            var queries = Enumerable.Range(0, 100).Select(_ => Clustered()).ToArray();
            await store.SearchAsync(new VectorSearchQuery(queries[0], SearchK), context.CancellationToken); // indexes what it has no files for

            step("exact scan of the same vectors");
            var scan = await MeasureAsync("exact_scan", 1, 1, null, null, (_, i) =>
            {
                exact.Search(queries[i % queries.Length], SearchK);
                return Task.CompletedTask;
            });
            rows.Add(scan);
            step("store search, top 10");
            var found = 0;
            for (var q = 0; q < queries.Length; q++)
            {
                var truth = exact.Search(queries[q], SearchK).Select(m => idsByLabel[(int)m.Label]).ToHashSet();
                found += (await store.SearchAsync(new VectorSearchQuery(queries[q], SearchK), context.CancellationToken)).Count(r => truth.Contains(r.Event.Id));
            }
            var search = await MeasureAsync("search", 1, 1, "exact_scan", scan.EventsPerSecond, (_, i) =>
                store.SearchAsync(new VectorSearchQuery(queries[i % queries.Length], SearchK), context.CancellationToken));
            rows.Add(search with { RecallAt10 = (double)found / (queries.Length * SearchK) });
        }

        private float[] RandomVector(Random random, float scale)
        {
            var vector = new float[settings.Dimension];
            for (var i = 0; i < vector.Length; i++) vector[i] = (float)(random.NextDouble() * 2 - 1) * scale;
            return vector;
        }

        /// <summary>New events (new ids) for every append: re-sending the same ids would be an idempotent repeat that writes nothing.</summary>
        private EventData[] NewEvents()
        {
            var events = new EventData[settings.EventsPerAppend];
            for (var i = 0; i < events.Length; i++) events[i] = new EventData(null, "bench-event", _value);
            return events;
        }

        private async Task<BenchRow> MeasureAsync(string workload, int concurrency, int eventsPerOp, string? baseline, double? baselineEventsPerSecond, Func<int, long, Task> op)
        {
            var next = new long[concurrency];
            await RunWorkersAsync(concurrency, settings.Warmup, (w, _) => op(w, next[w]++), null);
            var latencies = new List<double>[concurrency];
            for (var w = 0; w < concurrency; w++) latencies[w] = new List<double>(4096);
            var elapsed = await RunWorkersAsync(concurrency, settings.Measured, (w, _) => op(w, next[w]++), latencies);
            var all = latencies.SelectMany(l => l).Order().ToArray();
            var row = new BenchRow(workload, concurrency, all.Length, all.Length * (long)eventsPerOp, elapsed, Percentile(all, 0.50), Percentile(all, 0.99), baseline, null);
            return row with { VsBaseline = baselineEventsPerSecond is { } b && b > 0 ? row.EventsPerSecond / b : null };
        }

        private async Task<double> RunWorkersAsync(int concurrency, TimeSpan duration, Func<int, long, Task> op, List<double>[]? latencies)
        {
            var clock = Stopwatch.StartNew();
            await Task.WhenAll(Enumerable.Range(0, concurrency).Select(w => Task.Run(async () =>
            {
                for (long i = 0; clock.Elapsed < duration; i++)
                {
                    var started = Stopwatch.GetTimestamp();
                    await op(w, i);
                    latencies?[w].Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                }
            }, context.CancellationToken)));
            return clock.Elapsed.TotalSeconds;
        }

        private async Task<BenchRow> ReadRawAsync()
        {
            var prefix = RawPrefix;
            var end = EtcdKeys.PrefixEnd(prefix);
            var from = ByteString.CopyFrom(prefix);
            var pages = new List<double>();
            long keys = 0;
            var clock = Stopwatch.StartNew();
            while (true)
            {
                var started = Stopwatch.GetTimestamp();
                var page = await context.Etcd.RangeAsync(new Etcdserverpb.RangeRequest { Key = from, RangeEnd = end, Limit = ReadPage }, context.CancellationToken);
                pages.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                keys += page.Kvs.Count;
                if (!page.More || page.Kvs.Count == 0) break;
                from = ByteString.CopyFrom([.. page.Kvs[^1].Key.Span, 0]);
            }
            var sorted = pages.Order().ToArray();
            return new BenchRow("raw_range", 1, pages.Count, keys, clock.Elapsed.TotalSeconds, Percentile(sorted, 0.50), Percentile(sorted, 0.99), null, null);
        }

        private async Task<BenchRow> ReadLogAsync(BenchRow raw)
        {
            // Latencies are per page of as many events as a raw range returns keys, so the two rows compare.
            long events = 0;
            var pages = new List<double>();
            var clock = Stopwatch.StartNew();
            var pageStarted = Stopwatch.GetTimestamp();
            await foreach (var _ in store.ReadAllAsync(Position.Start, cancellationToken: context.CancellationToken))
            {
                if (++events % ReadPage != 0) continue;
                pages.Add(Stopwatch.GetElapsedTime(pageStarted).TotalMilliseconds);
                pageStarted = Stopwatch.GetTimestamp();
            }
            var seconds = clock.Elapsed.TotalSeconds;
            if (events % ReadPage != 0) pages.Add(Stopwatch.GetElapsedTime(pageStarted).TotalMilliseconds);
            var sorted = pages.Order().ToArray();
            var row = new BenchRow("read_all", 1, pages.Count, events, seconds, Percentile(sorted, 0.50), Percentile(sorted, 0.99), "raw_range", null);
            return row with { VsBaseline = raw.EventsPerSecond > 0 ? row.EventsPerSecond / raw.EventsPerSecond : null };
        }

        private static double Percentile(double[] sorted, double q) => sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, (int)(sorted.Length * q))];
    }
}
