using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using PulseStream.Http;
using PulseStream.Identity;

namespace PulseStream.Metrics;

/// <summary>One row of a detail page's top list: a consumer of a route, or a route of a consumer.</summary>
public sealed record TopItem(string? Route, string? Method, string? ConsumerId, long Requests, double ErrorRate, double? P95);

/// <summary>
/// The top list of a detail page, counted from raw events (no rollup set crosses routes with consumers):
/// <c>coveredFrom</c> is where the raw events' retention starts when that is inside the window, and
/// <c>complete</c> is false when the scan met more than <see cref="DetailQueries.MaxScannedGroups"/> groups and
/// counted only the first ones met.
/// </summary>
public sealed record TopList(string Of, DateTimeOffset CoveredFrom, bool Complete, IReadOnlyList<TopItem> Items);

public sealed record Detail(string Window, DateTimeOffset From, DateTimeOffset To, DateTimeOffset CoveredFrom, string? Route, string? Method, string? ConsumerId,
    string? Environment, Totals Totals, IReadOnlyDictionary<string, long> StatusClasses, TopList Top, IReadOnlyList<string> Environments);

/// <summary>
/// <c>GET /api/v1/routes/detail?route=&amp;method=</c> and <c>GET /api/v1/consumers/detail?consumerId=</c>: one route's
/// (or consumer's) figures and status classes over the window from the rollups, and its top consumers (or routes).
/// The series and recent events of a detail page are the timeseries and events reads with the same filters.
/// </summary>
public sealed class DetailQueries(QueryBudget budget, RawEventRollup rawEvents, Retention.TenantRetention retention, TimeProvider time)
{
    public const int TopCount = 10;
    public const int MaxScannedGroups = 5_000;

    public Task<IActionResult> RouteAsync(Caller caller, HttpRequest request, CancellationToken ct) =>
        DetailAsync(caller, request, RollupSet.Routes, ct);

    public Task<IActionResult> ConsumerAsync(Caller caller, HttpRequest request, CancellationToken ct) =>
        DetailAsync(caller, request, RollupSet.Consumers, ct);

    private async Task<IActionResult> DetailAsync(Caller caller, HttpRequest request, RollupSet set, CancellationToken ct)
    {
        var byRoute = set == RollupSet.Routes;
        var (query, invalid) = byRoute
            ? MetricsRequest.Parse(request, time.GetUtcNow(), "24h", "route", "method", "environment")
            : MetricsRequest.Parse(request, time.GetUtcNow(), "24h", "consumerId", "environment");
        if (invalid is not null) return invalid;
        var filter = query!.Filter;
        if (byRoute && (filter.Route is null || filter.Method is null))
            return ApiResults.BadRequest("missing-route", "route and method name the route.");
        if (!byRoute && filter.ConsumerId is null)
            return ApiResults.BadRequest("missing-consumer", "consumerId names the consumer.");

        return await budget.RunAsync(caller.TenantId, async (connection, transaction, within) =>
        {
            var cell = (await RollupReader.ReadAsync(connection, transaction, caller.TenantId,
                new RollupRead(set, query.From, query.To, filter, [], Sketches: true), within)).SingleOrDefault()?.Cell ?? new RollupCell();
            var others = byRoute ? new[] { "consumer_id" } : ["route", "method"];
            var groups = await rawEvents.ReadAsync(connection, transaction, caller.TenantId,
                new RollupRead(set, query.From, query.To, filter, others, Limit: MaxScannedGroups + 1), within);
            var items = groups.OrderByDescending(g => g.Cell.Requests).ThenBy(g => string.Join('\0', g.Key), StringComparer.Ordinal).Take(TopCount)
                .Select(g => byRoute
                    ? new TopItem(null, null, g.Key[0] is { Length: > 0 } c ? c : null, g.Cell.Requests, g.Cell.ErrorRate, g.Cell.Histogram.Quantile(0.95))
                    : new TopItem(g.Key[0], g.Key[1], null, g.Cell.Requests, g.Cell.ErrorRate, g.Cell.Histogram.Quantile(0.95)))
                .ToList();
            var environments = await DashboardQueries.EnvironmentsAsync(connection, transaction, caller.TenantId, set, query.From, query.To, filter, within);
            var kept = await retention.GetAsync(connection, transaction, caller.TenantId, within);
            var now = time.GetUtcNow();
            var top = new TopList(byRoute ? "consumers" : "routes", Coverage.Start(null, query.From, query.To, null, kept, now), groups.Count <= MaxScannedGroups, items);
            return ApiResults.Ok(new Detail(query.WindowText, query.From, query.To, Coverage.Start(set, query.From, query.To, null, kept, now),
                filter.Route, filter.Method, filter.ConsumerId, filter.Environment, DashboardQueries.TotalsOf(cell, query.Window),
                DashboardQueries.StatusClassesOf(cell), top, environments));
        }, ct);
    }
}
