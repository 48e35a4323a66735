using System.Text.Json.Serialization;

namespace PulseStream.Anomalies;

/// <summary>
/// Why an anomaly alert fired, written when it fires (<see cref="AnomalyExplainer"/>): the window judged, the band the
/// group's baseline expected there (in the metric's units; null when the group was still warming up and fired by the
/// rule's fallback threshold), the observed value, how many robust standard deviations it lay from the expected value
/// (negative below), and which routes and consumers moved the metric most compared with the same window in earlier
/// seasons (<see cref="Comparison"/>, <see cref="Contributors"/>). <see cref="Note"/> says why a part is missing.
/// </summary>
public sealed record AnomalyExplanation(
    string Metric, string Seasonality, DateTimeOffset From, DateTimeOffset To,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] double? Expected,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] double? Lower,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] double? Upper,
    double Observed,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] double? Sigmas,
    string Direction,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] AnomalyComparison? Comparison,
    IReadOnlyList<AnomalyContributor> Contributors,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? Note);

/// <summary>
/// The group's figure now and over the reference windows (the same stretch of time one, two and three seasons
/// earlier, pooled), in the <see cref="Basis"/> the contributions add up to: the rule's metric, except that a latency
/// percentile is explained through the mean latency, the one latency figure that splits exactly into parts.
/// </summary>
public sealed record AnomalyComparison(string Basis, IReadOnlyList<DateTimeOffset> Windows, double Before, double Now, double Change);

/// <summary>
/// One route or consumer (<see cref="Dimension"/> <c>route</c> or <c>consumerId</c>; a null <see cref="Value"/> is the
/// group's requests without a consumer) and its part in the change: <see cref="Contribution"/> is how much of
/// <see cref="AnomalyComparison.Change"/> it accounts for (the parts of one dimension add up to the change exactly),
/// <see cref="Share"/> that as a fraction of the change; <see cref="Before"/> and <see cref="Now"/> are its own figure
/// (its requests, its error rate, its mean latency), <see cref="Requests"/> and <see cref="RequestsBefore"/> its traffic
/// (before: the mean over the reference windows). A route comes with its <see cref="Method"/>: the pair is one route of
/// the dashboard.
/// </summary>
public sealed record AnomalyContributor(
    string Dimension,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? Value,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] double? Before,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] double? Now,
    double Contribution,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] double? Share,
    long Requests, double RequestsBefore,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Method = null);

/// <summary>A part's requests and what it adds to the basis: its requests, its 5xx or 4xx responses, or its summed latency.</summary>
public readonly record struct Tally(long Requests, double Part)
{
    public static Tally operator +(Tally a, Tally b) => new(a.Requests + b.Requests, a.Part + b.Part);
    public static Tally operator -(Tally a, Tally b) => new(a.Requests - b.Requests, a.Part - b.Part);
}

/// <summary>
/// How the change of a group's metric splits over the values of a dimension. With N requests and a part's share p_v of
/// the basis (its requests for a count; its errors, or summed latency, over the group's N for a rate or a mean), the
/// group's figure is Σ p_v, so its change between the reference windows and now is Σ (p_v now − p_v before): each
/// value's term is its contribution, and they add up to the change exactly. A count's reference is the mean over the
/// reference windows; a rate's or mean's pools them (their requests and parts summed). What the values of a
/// dimension do not cover (requests without a consumer) is one more part, with a null value.
/// </summary>
public static class AnomalyContributions
{
    /// <summary>At most this many contributors per dimension, those that moved the figure most the way it went.</summary>
    public const int PerDimension = 5;

    /// <summary>The figure contributions add up to: latency percentiles are explained through the mean latency.</summary>
    public static string BasisOf(string metric) => metric.StartsWith("latency_", StringComparison.Ordinal) ? "latency_avg" : metric;

    /// <summary>What a rollup cell adds to <paramref name="basis"/>.</summary>
    public static Tally TallyOf(string basis, Metrics.RollupCell cell) => new(cell.Requests, basis switch
    {
        "request_count" => cell.Requests,
        "error_rate" => cell.Errors5xx,
        "client_error_rate" => cell.Errors4xx,
        _ => cell.LatencySum,
    });

    /// <summary>
    /// The comparison and the contributors of each dimension in <paramref name="parts"/> (dimension → value → tallies
    /// now and summed over the <paramref name="references"/> windows), given the group's totals. Only parts that moved
    /// the figure the way it went (up when <paramref name="up"/>) are kept, most first.
    /// </summary>
    public static (AnomalyComparison Comparison, List<AnomalyContributor> Contributors) Rank(string basis, IReadOnlyList<DateTimeOffset> references,
        Tally now, Tally before, IReadOnlyDictionary<string, Dictionary<string, (Tally Now, Tally Before)>> parts, bool up)
    {
        var k = Math.Max(1, references.Count);
        var isCount = basis == "request_count";
        double Level(Tally part, Tally total, int windows) => isCount ? part.Part / windows : total.Requests == 0 ? 0 : part.Part / total.Requests;
        double? Own(Tally part, int windows) => isCount ? part.Part / windows : part.Requests == 0 ? null : part.Part / part.Requests;

        var change = Level(now, now, 1) - Level(before, before, k);
        var comparison = new AnomalyComparison(basis, references, Round(Level(before, before, k)), Round(Level(now, now, 1)), Round(change));
        var sign = up ? 1 : -1;
        var contributors = new List<AnomalyContributor>();
        foreach (var (dimension, values) in parts)
        {
            var rows = values.Select(v => (Value: (string?)v.Key, v.Value.Now, v.Value.Before)).ToList();
            var rest = (Now: now - Sum(values.Values.Select(v => v.Now)), Before: before - Sum(values.Values.Select(v => v.Before)));
            if (rest.Now.Requests != 0 || rest.Before.Requests != 0) rows.Add((null, rest.Now, rest.Before));
            contributors.AddRange(rows
                .Select(r => (Row: r, Contribution: Level(r.Now, now, 1) - Level(r.Before, before, k)))
                .Where(r => r.Contribution * sign > 0)
                .OrderByDescending(r => r.Contribution * sign).ThenBy(r => r.Row.Value, StringComparer.Ordinal)
                .Take(PerDimension)
                .Select(r => new AnomalyContributor(dimension, r.Row.Value, Round(Own(r.Row.Before, k)), Round(Own(r.Row.Now, 1)), Round(r.Contribution),
                    change == 0 ? null : Round(r.Contribution / change), r.Row.Now.Requests, Round((double)r.Row.Before.Requests / k))));
        }
        return (comparison, contributors);
    }

    /// <summary>A route's "METHOD /path" key (as the parts are keyed) split back into its method and route.</summary>
    public static AnomalyContributor WithMethod(AnomalyContributor c) =>
        c is { Dimension: "route", Value: { } key } && key.IndexOf(' ', StringComparison.Ordinal) is var space and > 0
            ? c with { Method = key[..space], Value = key[(space + 1)..] }
            : c;

    private static Tally Sum(IEnumerable<Tally> tallies) => tallies.Aggregate(default(Tally), (a, b) => a + b);

    private static double Round(double value) => Math.Round(value, 6);

    private static double? Round(double? value) => value is { } v ? Math.Round(v, 6) : null;
}
