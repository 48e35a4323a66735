using System.Text.Json.Serialization;

namespace PulseStream.Insights;

/// <summary>
/// <c>GET /api/v1/dashboard/insights</c>: the largest changes of the window (the last complete minutes) against the
/// same window on each of the previous <see cref="InsightQueries.Days"/> days that had traffic (<see cref="References"/>,
/// their starts), in request count, error rate (5xx share) and mean latency, by route and by consumer.
/// <see cref="Totals"/> holds the whole API's figure per metric; <see cref="Changes"/> the routes and consumers that
/// moved it most, at most <see cref="InsightQueries.PerMetric"/> per metric. <see cref="Note"/> says why there is
/// nothing to compare with.
/// </summary>
public sealed record Insights(string Window, DateTimeOffset From, DateTimeOffset To,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? Environment,
    IReadOnlyList<DateTimeOffset> References, IReadOnlyList<InsightTotal> Totals, IReadOnlyList<InsightChange> Changes,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? Note);

/// <summary>The API's figure in a metric: over the reference windows (a count's mean, a rate's or mean's pooled value) and now.</summary>
public sealed record InsightTotal(string Metric, double Before, double Now, double Change);

/// <summary>
/// One route (with its <see cref="Method"/>) or consumer (<see cref="Dimension"/> <c>route</c> or <c>consumerId</c>; a
/// null <see cref="Value"/> is the requests without a consumer) and how it moved the API's figure in
/// <see cref="Metric"/>: <see cref="Contribution"/> is its term of the exact split of <see cref="InsightTotal.Change"/>
/// (the terms of one dimension add up to the change), <see cref="Share"/> that over the change; <see cref="Before"/>
/// and <see cref="Now"/> are its own figure (null before when it had no requests then), <see cref="Requests"/> and
/// <see cref="RequestsBefore"/> its traffic (before: the mean per reference window).
/// </summary>
public sealed record InsightChange(string Metric, string Dimension,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? Value,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Method,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] double? Before,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] double? Now,
    double Contribution,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] double? Share,
    long Requests, double RequestsBefore);
