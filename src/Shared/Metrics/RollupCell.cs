using PulseStream.Events;

namespace PulseStream.Metrics;

/// <summary>A rollup row's key within one set and tier: the bucket, the environment and up to two dimension values.</summary>
public readonly record struct RollupKey(DateTimeOffset Bucket, string Environment, string First = "", string Second = "");

/// <summary>
/// Counters and a latency sketch for one rollup key. Counts are checked (a wrap would be a wrong number, so it
/// fails instead); byte sums saturate at <see cref="long.MaxValue"/>, as the upsert does: each event adds at most
/// 2^40 (<see cref="EventRules.MaxByteCount"/>), so a sum reaches 2^63 − 1 only after more than 2^23 maximal events
/// in one cell, which a tenant could aim at one past minute; such a cell shows the bound instead of wrapping.
/// </summary>
public sealed class RollupCell
{
    public long Requests;
    /// <summary>Requests per status class, 1xx at index 0 … 5xx at index 4.</summary>
    public readonly long[] StatusClasses = new long[5];
    public double LatencySum;
    public double LatencyMax;
    public long RequestBytes;
    public long ResponseBytes;
    public DateTimeOffset LastSeen = DateTimeOffset.MinValue;
    public readonly LatencyHistogram Histogram = new();

    public long Errors5xx => StatusClasses[4];
    public long Errors4xx => StatusClasses[3];

    public void Add(ApiEvent e)
    {
        Requests = checked(Requests + 1);
        StatusClasses[Math.Clamp(e.StatusClass, 1, 5) - 1]++;
        LatencySum += e.LatencyMs;
        LatencyMax = Math.Max(LatencyMax, e.LatencyMs);
        RequestBytes = Saturating.Add(RequestBytes, e.RequestBytes ?? 0);
        ResponseBytes = Saturating.Add(ResponseBytes, e.ResponseBytes ?? 0);
        if (e.Timestamp > LastSeen) LastSeen = e.Timestamp;
        Histogram.Add(e.LatencyMs);
    }

    /// <summary>Adds another cell's counts (reading many rows into one answer saturates rather than fails).</summary>
    public void Merge(RollupCell other)
    {
        Requests = Saturating.Add(Requests, other.Requests);
        for (var i = 0; i < StatusClasses.Length; i++) StatusClasses[i] = Saturating.Add(StatusClasses[i], other.StatusClasses[i]);
        LatencySum += other.LatencySum;
        LatencyMax = Math.Max(LatencyMax, other.LatencyMax);
        RequestBytes = Saturating.Add(RequestBytes, other.RequestBytes);
        ResponseBytes = Saturating.Add(ResponseBytes, other.ResponseBytes);
        if (other.LastSeen > LastSeen) LastSeen = other.LastSeen;
        Histogram.Merge(other.Histogram);
    }

    public double ErrorRate => Requests == 0 ? 0 : (double)Errors5xx / Requests;
}
