using PulseStream.Anomalies;
using PulseStream.Metrics;

namespace PulseStream.Insights;

/// <summary>One window's rollups: each route ("METHOD /path") and each consumer with its cell; the total is the routes' sum.</summary>
public sealed record InsightWindow(IReadOnlyDictionary<string, RollupCell> Routes, IReadOnlyDictionary<string, RollupCell> Consumers)
{
    public long Requests => Routes.Values.Sum(c => c.Requests);
}

/// <summary>
/// Which routes and consumers changed the API's figures most: per metric, the exact split of the change between the
/// reference windows and now (<see cref="AnomalyContributions"/>), in both directions. A part is a change of its own
/// only when its own figure moved the same way as its term (or it is new): a route whose error rate held while others'
/// traffic grew has a negative term in the API's error rate, but nothing of its own changed, so it is not listed. Terms
/// below <see cref="FloorOf"/> are noise and left out; the largest <see cref="InsightQueries.PerMetric"/> per metric stay.
/// </summary>
public static class InsightRanking
{
    /// <summary>The metrics compared, in the order the answer lists them.</summary>
    public static readonly string[] Metrics = ["request_count", "error_rate", "latency_avg"];

    public static (List<InsightTotal> Totals, List<InsightChange> Changes) Rank(IReadOnlyList<DateTimeOffset> references, InsightWindow now,
        IReadOnlyList<InsightWindow> before, int perMetric)
    {
        var totals = new List<InsightTotal>();
        var changes = new List<InsightChange>();
        foreach (var metric in Metrics)
        {
            Tally Sum(IEnumerable<RollupCell> cells) => cells.Aggregate(default(Tally), (sum, c) => sum + AnomalyContributions.TallyOf(metric, c));
            var parts = new Dictionary<string, Dictionary<string, (Tally Now, Tally Before)>>(StringComparer.Ordinal)
            {
                ["route"] = PartsOf(metric, now.Routes, before.Select(w => w.Routes)),
                ["consumerId"] = PartsOf(metric, now.Consumers, before.Select(w => w.Consumers)),
            };
            var nowTotal = Sum(now.Routes.Values);
            var beforeTotal = Sum(before.SelectMany(w => w.Routes.Values));
            var (comparison, rising) = AnomalyContributions.Rank(metric, references, nowTotal, beforeTotal, parts, up: true);
            var (_, falling) = AnomalyContributions.Rank(metric, references, nowTotal, beforeTotal, parts, up: false);
            totals.Add(new InsightTotal(metric, comparison.Before, comparison.Now, comparison.Change));
            var floor = FloorOf(metric, Math.Max(Math.Abs(comparison.Before), Math.Abs(comparison.Now)));
            changes.AddRange(rising.Concat(falling)
                .Where(c => Math.Abs(c.Contribution) >= floor && MovedItself(c))
                .OrderByDescending(c => Math.Abs(c.Contribution)).ThenBy(c => c.Dimension, StringComparer.Ordinal).ThenBy(c => c.Value, StringComparer.Ordinal)
                .Take(perMetric)
                .Select(AnomalyContributions.WithMethod)
                .Select(c => new InsightChange(metric, c.Dimension, c.Value, c.Method, c.Before, c.Now, c.Contribution, c.Share, c.Requests, c.RequestsBefore)));
        }
        return (totals, changes);
    }

    /// <summary>
    /// The smallest term listed: 1% of the API's figure, and at least 5 requests in a count, 0.1 percentage points in
    /// an error rate, 1 ms in a mean latency.
    /// </summary>
    public static double FloorOf(string metric, double level) => Math.Max(metric switch
    {
        "request_count" => 5,
        "error_rate" => 0.001,
        _ => 1,
    }, 0.01 * level);

    private static bool MovedItself(AnomalyContributor c) =>
        c.Before is not { } before ? c.Now is not null : c.Now is { } now && Math.Sign(now - before) == Math.Sign(c.Contribution);

    private static Dictionary<string, (Tally Now, Tally Before)> PartsOf(string metric, IReadOnlyDictionary<string, RollupCell> now,
        IEnumerable<IReadOnlyDictionary<string, RollupCell>> before)
    {
        var parts = new Dictionary<string, (Tally Now, Tally Before)>(StringComparer.Ordinal);
        foreach (var (value, cell) in now) parts[value] = (AnomalyContributions.TallyOf(metric, cell), default);
        foreach (var window in before)
            foreach (var (value, cell) in window)
            {
                var part = parts.GetValueOrDefault(value);
                parts[value] = (part.Now, part.Before + AnomalyContributions.TallyOf(metric, cell));
            }
        return parts;
    }
}
