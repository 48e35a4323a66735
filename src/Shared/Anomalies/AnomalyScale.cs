namespace PulseStream.Anomalies;

/// <summary>
/// The scale a metric's baseline works in, so one band width fits quiet and busy hours alike. Request counts are
/// compared as requests per minute on a log scale (a spike doubles the rate at night as by day), with an offset of one
/// request an hour so silence is finite; latencies on a log scale; error rates as they are (a share moves by points, not
/// by factors). Besides the hour-to-hour spread of the history, a value read over a short window carries sampling noise
/// of its own, which this adds (<see cref="SamplingSd"/>): Poisson for counts, binomial for error rates, and the spread
/// of a sample's mean or quantile for latencies (for a log-normal with a log standard deviation of 0.6).
/// </summary>
public static class AnomalyScale
{
    public const string RequestCount = "request_count";

    /// <summary>The metrics anomaly rules watch.</summary>
    public static readonly string[] Metrics = ["request_count", "error_rate", "client_error_rate", "latency_avg", "latency_p50", "latency_p95", "latency_p99"];

    private const double RateOffset = 1.0 / 60;

    public static bool IsRate(string metric) => metric == RequestCount;

    public static bool IsShare(string metric) => metric is "error_rate" or "client_error_rate";

    /// <summary>
    /// A value in the working scale. <paramref name="value"/> is the metric over <paramref name="minutes"/> (a request
    /// count is made a per-minute rate first).
    /// </summary>
    public static double ToScale(string metric, double value, double minutes) =>
        IsRate(metric) ? Math.Log(Math.Max(0, value) / minutes + RateOffset)
        : IsShare(metric) ? value
        : Math.Log(Math.Max(value, 1e-3));

    /// <summary>The metric's value over <paramref name="minutes"/> for a point of the working scale.</summary>
    public static double FromScale(string metric, double scaled, double minutes) =>
        IsRate(metric) ? Math.Max(0, Math.Exp(scaled) - RateOffset) * minutes
        : IsShare(metric) ? Math.Clamp(scaled, 0, 1)
        : Math.Exp(scaled);

    /// <summary>The smallest standard deviation a band assumes: a flat history is not a promise of no change at all.</summary>
    public static double Floor(string metric) => IsRate(metric) ? 0.05 : IsShare(metric) ? 0.002 : 0.03;

    /// <summary>
    /// The sampling noise, in the working scale, of a value read over <paramref name="minutes"/> from
    /// <paramref name="requests"/> requests when <paramref name="expected"/> (working scale) is what the baseline expects.
    /// </summary>
    public static double SamplingSd(string metric, double expected, double minutes, long requests)
    {
        if (IsRate(metric))
        {
            var perMinute = Math.Exp(expected);
            var count = Math.Max(1, (perMinute - RateOffset) * minutes);
            return Math.Sqrt(count) / (minutes * perMinute);
        }
        var n = Math.Max(1, requests);
        if (IsShare(metric))
        {
            // A share expected at 0 still wobbles by about one request in n.
            var p = Math.Clamp(Math.Max(expected, 1.0 / n), 0, 1);
            return Math.Sqrt(p * (1 - p) / n);
        }
        var spread = metric switch
        {
            "latency_p50" => 0.75,
            "latency_p95" => 1.27,
            "latency_p99" => 2.24,
            _ => 0.66,
        };
        return spread / Math.Sqrt(n);
    }
}
