namespace PulseStream.Metrics;

/// <summary>
/// A DDSketch-style latency histogram: logarithmic buckets with relative accuracy <see cref="RelativeAccuracy"/>,
/// so every quantile it returns is within 1% of the true value at that rank. Histograms merge by adding counts
/// per bucket, which is what lets rollups of any tier combine into any window (DESIGN.md §4.3).
/// <para>
/// Its size is bounded without collapsing any bucket: the edge bounds latencies to [0, 3,600,000] ms, so the
/// buckets that can be used are the 1,101 from <see cref="MinTrackable"/> (1 µs) to one hour, and a stored sketch is
/// at most a few KB however many events it counts. Values under 1 µs count as zero; a value above
/// <see cref="MaxTrackable"/> (which the edge refuses) would count in the top bucket.
/// </para>
/// In memory the counts are a dense array over the range of buckets used so far, so adding and merging are array
/// operations; the stored form (<see cref="SketchCodec"/>) is sparse and binary.
/// </summary>
public sealed class LatencyHistogram
{
    public const double RelativeAccuracy = 0.01;
    /// <summary>Latencies below this (ms) count as zero.</summary>
    public const double MinTrackable = 1e-3;
    /// <summary>The largest latency the edge accepts (ms); larger values count in its bucket.</summary>
    public const double MaxTrackable = 3_600_000;

    internal static readonly double Gamma = (1 + RelativeAccuracy) / (1 - RelativeAccuracy);
    private static readonly double LogGamma = Math.Log(Gamma);
    internal static readonly int MinIndex = IndexOf(MinTrackable);
    internal static readonly int MaxIndex = IndexOf(MaxTrackable);

    // Counts for bucket indexes _offset .. _offset + _counts.Length - 1.
    private long[] _counts = [];
    private int _offset;

    public long Count { get; private set; }
    internal long ZeroCount { get; private set; }

    private static int IndexOf(double latencyMs) => (int)Math.Ceiling(Math.Log(latencyMs) / LogGamma);

    public void Add(double latencyMs, long count = 1)
    {
        if (count <= 0) return;
        if (!(latencyMs >= MinTrackable)) ZeroCount = Saturating.Add(ZeroCount, count);
        else AddToBucket(Math.Min(IndexOf(Math.Min(latencyMs, MaxTrackable)), MaxIndex), count);
        Count = Saturating.Add(Count, count);
    }

    internal void AddToBucket(int index, long count)
    {
        index = Math.Clamp(index, MinIndex, MaxIndex);
        EnsureRange(index, index);
        ref var slot = ref _counts[index - _offset];
        slot = Saturating.Add(slot, count);
    }

    internal void AddZeros(long count) => ZeroCount = Saturating.Add(ZeroCount, count);

    internal void AddToCount(long count) => Count = Saturating.Add(Count, count);

    private void EnsureRange(int low, int high)
    {
        if (_counts.Length == 0)
        {
            // Room for a typical spread around the first value, so most later values need no growth.
            var start = Math.Max(MinIndex, low - 32);
            _counts = new long[Math.Min(MaxIndex, high + 32) - start + 1];
            _offset = start;
            return;
        }
        var end = _offset + _counts.Length - 1;
        if (low >= _offset && high <= end) return;
        var newStart = Math.Max(MinIndex, Math.Min(low, _offset) - (low < _offset ? 32 : 0));
        var newEnd = Math.Min(MaxIndex, Math.Max(high, end) + (high > end ? 32 : 0));
        var grown = new long[newEnd - newStart + 1];
        Array.Copy(_counts, 0, grown, _offset - newStart, _counts.Length);
        _counts = grown;
        _offset = newStart;
    }

    public void Merge(LatencyHistogram other)
    {
        // Counts saturate rather than wrap: a merged window of absurd counts still answers.
        ZeroCount = Saturating.Add(ZeroCount, other.ZeroCount);
        Count = Saturating.Add(Count, other.Count);
        if (other._counts.Length == 0) return;
        EnsureRange(other._offset, other._offset + other._counts.Length - 1);
        var shift = other._offset - _offset;
        for (var i = 0; i < other._counts.Length; i++)
        {
            if (other._counts[i] == 0) continue;
            ref var slot = ref _counts[i + shift];
            slot = Saturating.Add(slot, other._counts[i]);
        }
    }

    /// <summary>The buckets with a count, lowest first (the stored form walks these).</summary>
    internal IEnumerable<(int Index, long Count)> Buckets()
    {
        for (var i = 0; i < _counts.Length; i++)
            if (_counts[i] != 0) yield return (i + _offset, _counts[i]);
    }

    /// <summary>The value at rank <c>q·(n−1)</c>, within 1% relative error; null when empty.</summary>
    public double? Quantile(double q)
    {
        if (Count == 0) return null;
        ArgumentOutOfRangeException.ThrowIfLessThan(q, 0);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(q, 1);
        var rank = (long)Math.Floor(q * (Count - 1));
        if (rank < ZeroCount) return 0;
        var seen = ZeroCount;
        var last = -1;
        for (var i = 0; i < _counts.Length; i++)
        {
            if (_counts[i] == 0) continue;
            last = i;
            seen = Saturating.Add(seen, _counts[i]);
            if (seen > rank) return BucketValue(i + _offset);
        }
        return last < 0 ? 0 : BucketValue(last + _offset);
    }

    /// <summary>How many counted latencies are at most <paramref name="thresholdMs"/>, to the sketch's 1%.</summary>
    public long CountAtMost(double thresholdMs)
    {
        if (thresholdMs < MinTrackable) return ZeroCount;
        var limit = IndexOf(thresholdMs);
        var total = ZeroCount;
        for (var i = 0; i < _counts.Length && i + _offset <= limit; i++) total = Saturating.Add(total, _counts[i]);
        return total;
    }

    private static double BucketValue(int index) => 2 * Math.Pow(Gamma, index) / (Gamma + 1);

    /// <summary>The stored form (<see cref="SketchCodec"/>).</summary>
    public byte[] ToBytes() => SketchCodec.Encode(this);

    public static LatencyHistogram FromBytes(ReadOnlySpan<byte> bytes) => SketchCodec.Decode(bytes);
}
