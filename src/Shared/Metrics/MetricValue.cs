namespace PulseStream.Metrics;

/// <summary>The metrics that series and rules compute from a merged rollup (CONTRACT.md), in one place so that a
/// rule's value and the dashboard's value for the same window and filters are the same number.</summary>
public static class MetricValue
{
    public static readonly string[] Names = ["request_count", "error_rate", "client_error_rate", "latency_avg", "latency_p50", "latency_p95", "latency_p99"];

    public static bool NeedsSketch(string metric) => metric.StartsWith("latency_p", StringComparison.Ordinal);

    /// <summary>The metric's value; null when there were no requests (a rate or latency of nothing is not zero).</summary>
    public static double? Of(string metric, RollupCell cell) => cell.Requests == 0
        ? metric == "request_count" ? 0 : null
        : metric switch
        {
            "request_count" => cell.Requests,
            "error_rate" => (double)cell.Errors5xx / cell.Requests,
            "client_error_rate" => (double)cell.Errors4xx / cell.Requests,
            "latency_avg" => cell.LatencySum / cell.Requests,
            "latency_p50" => cell.Histogram.Quantile(0.50),
            "latency_p95" => cell.Histogram.Quantile(0.95),
            "latency_p99" => cell.Histogram.Quantile(0.99),
            _ => throw new ArgumentOutOfRangeException(nameof(metric), metric, "Not a metric."),
        };
}
