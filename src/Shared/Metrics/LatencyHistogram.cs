using System.Globalization;
using System.Text.Json;

namespace PulseStream.Metrics;

/// <summary>
/// A DDSketch-style latency histogram: logarithmic buckets with relative accuracy <see cref="RelativeAccuracy"/>,
/// so every quantile it returns is within 1% of the true value at that rank. Histograms merge by adding counts
/// per bucket, which is what lets per-minute rollups combine into any window (DESIGN.md §4.3).
/// </summary>
public sealed class LatencyHistogram
{
    public const double RelativeAccuracy = 0.01;
    /// <summary>Latencies below this (ms) count as zero.</summary>
    public const double MinTrackable = 1e-3;
    internal const string ZeroKey = "z";

    private static readonly double Gamma = (1 + RelativeAccuracy) / (1 - RelativeAccuracy);
    private static readonly double LogGamma = Math.Log(Gamma);

    private readonly SortedDictionary<int, long> _buckets = [];
    private long _zeroCount;

    public long Count { get; private set; }

    public void Add(double latencyMs, long count = 1)
    {
        if (count <= 0) return;
        if (latencyMs < MinTrackable) _zeroCount = Saturating.Add(_zeroCount, count);
        else
        {
            var index = (int)Math.Ceiling(Math.Log(latencyMs) / LogGamma);
            _buckets[index] = Saturating.Add(_buckets.GetValueOrDefault(index), count);
        }
        Count = Saturating.Add(Count, count);
    }

    public void Merge(LatencyHistogram other)
    {
        // Counts saturate rather than wrap: a merged window of absurd counts still answers (DashboardQueries).
        _zeroCount = Saturating.Add(_zeroCount, other._zeroCount);
        foreach (var (index, count) in other._buckets) _buckets[index] = Saturating.Add(_buckets.GetValueOrDefault(index), count);
        Count = Saturating.Add(Count, other.Count);
    }

    /// <summary>The value at rank <c>q·(n−1)</c>, within 1% relative error; null when empty.</summary>
    public double? Quantile(double q)
    {
        if (Count == 0) return null;
        ArgumentOutOfRangeException.ThrowIfLessThan(q, 0);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(q, 1);
        var rank = (long)Math.Floor(q * (Count - 1));
        if (rank < _zeroCount) return 0;
        var seen = _zeroCount;
        foreach (var (index, count) in _buckets)
        {
            seen = Saturating.Add(seen, count);
            if (seen > rank) return BucketValue(index);
        }
        return BucketValue(_buckets.Keys.Last());
    }

    private static double BucketValue(int index) => 2 * Math.Pow(Gamma, index) / (Gamma + 1);

    /// <summary>The stored form: a JSON object of bucket index to count (sparse), <c>z</c> for zeros.</summary>
    public string ToJson()
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            if (_zeroCount > 0) writer.WriteNumber(ZeroKey, _zeroCount);
            foreach (var (index, count) in _buckets) writer.WriteNumber(index.ToString(CultureInfo.InvariantCulture), count);
            writer.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    public static LatencyHistogram FromJson(string json)
    {
        var histogram = new LatencyHistogram();
        using var document = JsonDocument.Parse(json);
        foreach (var property in document.RootElement.EnumerateObject())
        {
            // Stored counts fit 64 bits (histogram_merge clamps); one that does not is read as the ceiling, not a failure.
            var count = property.Value.TryGetInt64(out var exact) ? exact : property.Value.GetDouble() > 0 ? long.MaxValue : 0;
            if (count <= 0) continue;
            if (property.Name == ZeroKey) histogram._zeroCount = Saturating.Add(histogram._zeroCount, count);
            else histogram._buckets[int.Parse(property.Name, CultureInfo.InvariantCulture)] = count;
            histogram.Count = Saturating.Add(histogram.Count, count);
        }
        return histogram;
    }
}
