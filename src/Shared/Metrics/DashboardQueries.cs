using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Npgsql;
using PulseStream.Alerting;
using PulseStream.Http;
using PulseStream.Identity;
using PulseStream.Storage;

namespace PulseStream.Metrics;

public sealed record Totals(long Requests, long Errors4xx, long Errors5xx, double ErrorRate, double Rpm,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] double? P50, [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] double? P95,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] double? P99, long RequestBytes, long ResponseBytes);
public sealed record RouteSummary(string Route, string Method, long Requests, double ErrorRate, double? P95);
public sealed record Overview(string Window, DateTimeOffset From, DateTimeOffset To, DateTimeOffset CoveredFrom, string? Environment, Retention.RetentionDays Retention, Totals Totals, IReadOnlyList<RouteSummary> TopRoutes,
    IReadOnlyDictionary<string, long> StatusClasses, IReadOnlyList<AlertView> FiringAlerts, DimensionUsage Routes, DimensionUsage Consumers,
    IReadOnlyList<string> Environments);
/// <summary>How many distinct values (routes or consumers) the tenant has, its limit, and how much traffic went to the overflow value beyond it.</summary>
public sealed record DimensionUsage(long Distinct, int Limit, long OverflowEvents, long OverflowValues, string OverflowAs);
/// <summary>A series point; <c>value</c> is null (written, not left out) where the metric has no requests to be computed from.</summary>
public sealed record SeriesPoint(DateTimeOffset Ts, [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] double? Value);
public sealed record Series(string Metric, string Window, string Step, DateTimeOffset From, DateTimeOffset To, DateTimeOffset CoveredFrom, string Source, IReadOnlyList<SeriesPoint> Points);

/// <summary>
/// The dashboard's overview and series over the rollup sets and tiers (<see cref="RollupReader"/>); the per-route and
/// per-consumer tables are <see cref="BreakdownQueries"/>. Every answer states the window it covers.
/// </summary>
public sealed class DashboardQueries(QueryBudget budget, Tenancy.TenantLimitsStore limits, RawEventRollup rawEvents, Retention.TenantRetention retention, TimeProvider time)
{
    /// <summary>The most points a series answers: 30 days at 10 seconds, the contract's largest window over its smallest step.</summary>
    public const int MaxPoints = 30 * 24 * 360 + 1;

    /// <summary>The most environments the overview lists (the busiest first).</summary>
    public const int MaxEnvironments = 50;

    public async Task<IActionResult> OverviewAsync(Caller caller, HttpRequest request, CancellationToken ct)
    {
        var (query, invalid) = MetricsRequest.Parse(request, time.GetUtcNow(), "1h", "environment");
        if (invalid is not null) return invalid;
        var (from, to, filter) = (query!.From, query.To, query.Filter);
        var tenantLimits = await limits.GetAsync(caller.TenantId, ct);
        return await budget.RunAsync(caller.TenantId, async (connection, transaction, within) =>
        {
            var totals = (await RollupReader.ReadAsync(connection, transaction, caller.TenantId,
                new RollupRead(RollupSet.Totals, from, to, filter, [], Sketches: true), within)).SingleOrDefault()?.Cell ?? new RollupCell();
            var routes = await RollupReader.ReadAsync(connection, transaction, caller.TenantId,
                new RollupRead(RollupSet.Routes, from, to, filter, ["route", "method"], RankOnly: true), within);
            var top = routes.OrderByDescending(r => r.Cell.Requests).ThenBy(r => r.Key[0], StringComparer.Ordinal).ThenBy(r => r.Key[1], StringComparer.Ordinal)
                .Take(10).ToList();
            // Percentiles only for the routes shown: their sketches, not every route's.
            var sketched = (await RollupReader.ReadAsync(connection, transaction, caller.TenantId,
                    new RollupRead(RollupSet.Routes, from, to, filter, ["route", "method"], Sketches: true, OnlyFirst: top.Select(r => r.Key[0]).Distinct().ToList()), within))
                .ToDictionary(r => (r.Key[0], r.Key[1]), r => r.Cell);
            var topRoutes = top.Select(r => new RouteSummary(r.Key[0], r.Key[1], r.Cell.Requests, r.Cell.ErrorRate,
                sketched.TryGetValue((r.Key[0], r.Key[1]), out var s) ? s.Histogram.Quantile(0.95) : null)).ToList();

            var classes = StatusClassesOf(totals);
            var summary = TotalsOf(totals, query.Window);
            var environments = await EnvironmentsAsync(connection, transaction, caller.TenantId, RollupSet.Totals, from, to, filter, within);
            var firing = await AlertQueries.ListAsync(connection, transaction, caller.TenantId, "firing", 50, time.GetUtcNow(), within);
            var kept = await retention.GetAsync(connection, transaction, caller.TenantId, within);
            // Totals and routes read the same tiers: one coverage for the whole answer.
            var covered = Coverage.Start(RollupSet.Routes, from, to, null, kept, time.GetUtcNow());
            return ApiResults.Ok(new Overview(query.WindowText, from, to, covered, filter.Environment, kept, summary, topRoutes, classes, firing,
                await UsageAsync(connection, transaction, caller.TenantId, CardinalityBound.Routes, tenantLimits.MaxRoutes, within),
                await UsageAsync(connection, transaction, caller.TenantId, CardinalityBound.Consumers, tenantLimits.MaxConsumers, within), environments));
        }, ct);
    }

    /// <summary>
    /// The environments with traffic in [from, to) for the filter without its environment (the choices of the
    /// dashboard's picker), the busiest first, at most <see cref="MaxEnvironments"/>.
    /// </summary>
    public static async Task<List<string>> EnvironmentsAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, RollupSet set,
        DateTimeOffset from, DateTimeOffset to, RollupFilter filter, CancellationToken ct) =>
        (await RollupReader.ReadAsync(connection, transaction, tenantId, new RollupRead(set, from, to, filter with { Environment = null }, ["environment"], RankOnly: true), ct))
            .OrderByDescending(g => g.Cell.Requests).ThenBy(g => g.Key[0], StringComparer.Ordinal).Take(MaxEnvironments).Select(g => g.Key[0]).ToList();

    /// <summary>A cell's figures as the API answers them; <paramref name="window"/> gives the per-minute rate.</summary>
    public static Totals TotalsOf(RollupCell cell, TimeSpan window) =>
        new(cell.Requests, cell.Errors4xx, cell.Errors5xx, cell.ErrorRate, cell.Requests / window.TotalMinutes,
            cell.Histogram.Quantile(0.50), cell.Histogram.Quantile(0.95), cell.Histogram.Quantile(0.99), cell.RequestBytes, cell.ResponseBytes);

    /// <summary>Requests per status class; 1xx only when there were any.</summary>
    public static Dictionary<string, long> StatusClassesOf(RollupCell cell)
    {
        var classes = new Dictionary<string, long>();
        for (var i = 0; i < 5; i++)
            if (i > 0 || cell.StatusClasses[i] > 0) classes[$"{i + 1}xx"] = cell.StatusClasses[i];
        return classes;
    }

    internal static async Task<DimensionUsage> UsageAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId,
        CardinalityBound bound, int limit, CancellationToken ct)
    {
        var (distinct, events, values) = await bound.UsageAsync(connection, transaction, tenantId, ct);
        return new DimensionUsage(distinct, limit, events, values, bound.Other);
    }

    /// <summary>
    /// <c>GET /api/v1/metrics/timeseries</c>: one metric per step over exactly the window. Points start at the window's
    /// start and then at each UTC multiple of the step, so the first and last may be partial steps; each point is
    /// answered by the coarsest tier that holds it exactly. A route or method filter together with a consumer, and
    /// 10-second steps with a route, method or consumer filter, are answered from raw events (<c>source: "events"</c>).
    /// </summary>
    public Task<IActionResult> TimeseriesAsync(Caller caller, HttpRequest request, CancellationToken ct) =>
        SeriesAsync(caller, request, ct, series => ApiResults.Ok(series));

    /// <summary>Validates the request (a 400 naming the parameter otherwise) and computes its series, which
    /// <paramref name="respond"/> turns into the answer: the JSON body here, a streamed file for the export.</summary>
    public async Task<IActionResult> SeriesAsync(Caller caller, HttpRequest request, CancellationToken ct, Func<Series, IActionResult> respond)
    {
        var metric = request.Query["metric"].FirstOrDefault() ?? "request_count";
        if (!MetricValue.Names.Contains(metric))
            return ApiResults.BadRequest("invalid-metric", $"metric must be one of {string.Join(", ", MetricValue.Names)}.");
        var (query, invalid) = MetricsRequest.Parse(request, time.GetUtcNow(), "1h", "route", "method", "consumerId", "environment");
        if (invalid is not null) return invalid;
        var stepText = request.Query["step"].FirstOrDefault() ?? DefaultStep(query!.Window);
        if (!Durations.Steps.Contains(stepText) || !Durations.TryParse(stepText, out var step))
            return ApiResults.BadRequest("invalid-step", $"step must be one of {string.Join(", ", Durations.Steps)}.");
        if (query!.Window / step + 1 > MaxPoints)
            return ApiResults.BadRequest("too-many-points", $"window / step may give at most {MaxPoints} points.");

        var (from, to, filter) = (query.From, query.To, query.Filter);
        var starts = new List<DateTimeOffset> { from };
        for (var t = Durations.Floor(from, step) + step; t < to; t += step) starts.Add(t);
        var set = filter.SetFor([]);
        var fromEvents = set is null || (step < RollupTier.Minute.Width && set != RollupSet.Totals);

        return await budget.RunAsync(caller.TenantId, async (connection, transaction, within) =>
        {
            var read = new RollupRead(set ?? RollupSet.Totals, from, to, filter, [], step, MetricValue.NeedsSketch(metric));
            var byPoint = (fromEvents
                ? await rawEvents.ReadAsync(connection, transaction, caller.TenantId, read, within)
                : await RollupReader.ReadAsync(connection, transaction, caller.TenantId, read, within)).ToDictionary(g => g.Point!.Value, g => g.Cell);
            var points = starts.Select(t => new SeriesPoint(t, MetricValue.Of(metric, byPoint.TryGetValue(t, out var cell) ? cell : new RollupCell()))).ToList();
            var covered = Coverage.Start(fromEvents ? null : set, from, to, step, await retention.GetAsync(connection, transaction, caller.TenantId, within), time.GetUtcNow());
            return respond(new Series(metric, query.WindowText, stepText, from, to, covered, fromEvents ? "events" : "rollups", points));
        }, ct);
    }

    /// <summary>The step a series gets when none is asked: about 60-360 points.</summary>
    private static string DefaultStep(TimeSpan window) =>
        window <= TimeSpan.FromHours(1) ? (window <= TimeSpan.FromMinutes(15) ? "10s" : "1m") : window <= TimeSpan.FromHours(24) ? "5m" : "1h";
}
