using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;

namespace Fossil.Kv.Node.Hosting;

/// <summary>
/// Collects the <c>Fossil.Kv</c> meters with a <see cref="MeterListener"/> and renders them in Prometheus'
/// text format for <c>GET /metrics</c>: counters as totals, histograms as cumulative buckets with sum and count.
/// </summary>
internal sealed class PrometheusMetrics : IDisposable
{
    private static readonly double[] SecondsBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
    private static readonly double[] CountBuckets = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024];

    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<(string Name, string Labels), Series> _series = new();
    private readonly ConcurrentDictionary<string, (string Type, string Help)> _descriptions = new();

    public PrometheusMetrics(params string[] meters)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (!meters.Contains(instrument.Meter.Name)) return;
            var type = instrument switch
            {
                Counter<long> or Counter<double> or ObservableCounter<long> => "counter",
                Histogram<long> or Histogram<double> => "histogram",
                _ => "gauge",
            };
            _descriptions[instrument.Name] = (type, instrument.Description ?? instrument.Name);
            listener.EnableMeasurementEvents(instrument);
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.SetMeasurementEventCallback<int>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.Start();
    }

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var labels = Labels(tags);
        var series = _series.GetOrAdd((instrument.Name, labels), static (_, i) => new Series(i switch
        {
            Histogram<double> => SecondsBuckets,
            Histogram<long> => CountBuckets,
            _ => null,
        }, i is ObservableGauge<long> or ObservableGauge<double> or ObservableGauge<int>), instrument);
        series.Add(value);
    }

    private static string Labels(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (tags.IsEmpty) return "";
        var builder = new StringBuilder();
        foreach (var (key, value) in tags)
        {
            builder.Append(builder.Length == 0 ? "" : ",").Append(key).Append("=\"")
                .Append(Convert.ToString(value, CultureInfo.InvariantCulture)?.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal)).Append('"');
        }
        return builder.ToString();
    }

    public string Render()
    {
        _listener.RecordObservableInstruments();
        var text = new StringBuilder();
        foreach (var group in _series.OrderBy(s => s.Key.Name, StringComparer.Ordinal).GroupBy(s => s.Key.Name))
        {
            var (type, help) = _descriptions.GetValueOrDefault(group.Key, ("untyped", group.Key));
            text.Append("# HELP ").Append(group.Key).Append(' ').Append(help).Append('\n');
            text.Append("# TYPE ").Append(group.Key).Append(' ').Append(type).Append('\n');
            foreach (var ((name, labels), series) in group) series.Render(text, name, labels);
        }
        return text.ToString();
    }

    public void Dispose() => _listener.Dispose();

    private sealed class Series(double[]? buckets, bool lastValue)
    {
        private readonly long[]? _counts = buckets is null ? null : new long[buckets.Length + 1];
        private double _sum;
        private long _count;

        public void Add(double value)
        {
            lock (this)
            {
                if (lastValue) _sum = value;
                else _sum += value;
                _count++;
                if (_counts is null) return;
                var i = Array.BinarySearch(buckets!, value);
                _counts[i < 0 ? ~i : i]++;
            }
        }

        public void Render(StringBuilder text, string name, string labels)
        {
            lock (this)
            {
                if (_counts is null)
                {
                    text.Append(name).Append(Braces(labels)).Append(' ').Append(Number(_sum)).Append('\n');
                    return;
                }
                long cumulative = 0;
                for (var i = 0; i < buckets!.Length; i++)
                {
                    cumulative += _counts[i];
                    text.Append(name).Append("_bucket").Append(Braces(Join(labels, $"le=\"{Number(buckets[i])}\""))).Append(' ').Append(cumulative).Append('\n');
                }
                text.Append(name).Append("_bucket").Append(Braces(Join(labels, "le=\"+Inf\""))).Append(' ').Append(_count).Append('\n');
                text.Append(name).Append("_sum").Append(Braces(labels)).Append(' ').Append(Number(_sum)).Append('\n');
                text.Append(name).Append("_count").Append(Braces(labels)).Append(' ').Append(_count).Append('\n');
            }
        }

        private static string Join(string a, string b) => a.Length == 0 ? b : a + "," + b;

        private static string Braces(string labels) => labels.Length == 0 ? "" : "{" + labels + "}";

        private static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);
    }
}
