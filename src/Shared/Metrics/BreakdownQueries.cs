using System.Text;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Npgsql;
using PulseStream.Http;
using PulseStream.Identity;
using PulseStream.Storage;

namespace PulseStream.Metrics;

public sealed record RouteReport(string Route, string Method, long Requests, double ErrorRate, double? P50, double? P95, double? P99,
    long RequestBytes, long ResponseBytes, DateTimeOffset LastSeen,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<long>? Spark = null);
/// <summary>A page of <c>GET /api/v1/routes</c>; <c>next</c> is null on the last page.</summary>
public sealed record RoutesPage(string Window, DateTimeOffset From, DateTimeOffset To, DateTimeOffset CoveredFrom, string? Environment, IReadOnlyList<RouteReport> Items,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? Next, DimensionUsage Routes, IReadOnlyList<string> Environments,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? SparkStep = null);
/// <summary>A page of <c>GET /api/v1/consumers</c>; <c>next</c> is null on the last page.</summary>
public sealed record ConsumersPage(string Window, DateTimeOffset From, DateTimeOffset To, DateTimeOffset CoveredFrom, string? Environment, IReadOnlyList<ConsumerReport> Items,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? Next, DimensionUsage Consumers, IReadOnlyList<string> Environments,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? SparkStep = null);
public sealed record ConsumerReport(string ConsumerId, long Requests, double ErrorRate, double? P50, double? P95, double? P99,
    long RequestBytes, long ResponseBytes, DateTimeOffset LastSeen,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<long>? Spark = null);

/// <summary>
/// <c>GET /api/v1/routes</c> and <c>GET /api/v1/consumers</c>: one row per route and method (or per consumer) over the
/// window, sortable and paged. Counts for every group come first (cheap, no sketches); percentiles are read only for
/// the page shown, unless the sort itself is a percentile. The cursor is opaque: it carries the sort and the offset,
/// so a page is the next one of the same ordering (over a moving window, a group may move between pages).
/// </summary>
public sealed class BreakdownQueries(QueryBudget budget, Tenancy.TenantLimitsStore limits, Retention.TenantRetention retention, TimeProvider time)
{
    public const int MaxLimit = 1000;
    private static readonly string[] Metrics = ["requests", "errorRate", "p50", "p95", "p99", "requestBytes", "responseBytes", "lastSeen"];

    /// <summary>A breakdown's groups, sorted, with the percentiles filled in for the ones returned.</summary>
    /// <param name="Sparks">When asked for (<c>spark=true</c>): requests per <see cref="SparkStep"/> of each group returned, by its joined key.</param>
    public sealed record Breakdown(MetricsRequest Query, DateTimeOffset CoveredFrom, IReadOnlyList<RollupGroup> Groups, string? Next, DimensionUsage Usage,
        IReadOnlyList<string> Environments, string? SparkStep = null, IReadOnlyDictionary<string, long[]>? Sparks = null)
    {
        public IReadOnlyList<long>? SparkOf(RollupGroup g) => Sparks?.GetValueOrDefault(string.Join('\0', g.Key));
    }

    public Task<IActionResult> RoutesAsync(Caller caller, HttpRequest request, CancellationToken ct) =>
        RespondAsync(caller, request, RollupSet.Routes, ct, b =>
            new RoutesPage(b.Query.WindowText, b.Query.From, b.Query.To, b.CoveredFrom, b.Query.Filter.Environment,
                b.Groups.Select(g => ToRoute(g) with { Spark = b.SparkOf(g) }).ToList(), b.Next, b.Usage, b.Environments, b.SparkStep));

    public Task<IActionResult> ConsumersAsync(Caller caller, HttpRequest request, CancellationToken ct) =>
        RespondAsync(caller, request, RollupSet.Consumers, ct, b =>
            new ConsumersPage(b.Query.WindowText, b.Query.From, b.Query.To, b.CoveredFrom, b.Query.Filter.Environment,
                b.Groups.Select(g => ToConsumer(g) with { Spark = b.SparkOf(g) }).ToList(), b.Next, b.Usage, b.Environments, b.SparkStep));

    /// <summary>The step of a sparkline: at most 168 points, and no finer than a minute (the finest tier of these sets).</summary>
    public static string SparkStepOf(TimeSpan window) =>
        window <= TimeSpan.FromHours(1) ? "1m" : window <= TimeSpan.FromHours(6) ? "5m" : window <= TimeSpan.FromDays(7) ? "1h" : "1d";

    public static RouteReport ToRoute(RollupGroup g) => new(g.Key[0], g.Key[1], g.Cell.Requests, g.Cell.ErrorRate,
        g.Cell.Histogram.Quantile(0.50), g.Cell.Histogram.Quantile(0.95), g.Cell.Histogram.Quantile(0.99), g.Cell.RequestBytes, g.Cell.ResponseBytes, g.Cell.LastSeen);

    public static ConsumerReport ToConsumer(RollupGroup g) => new(g.Key[0], g.Cell.Requests, g.Cell.ErrorRate,
        g.Cell.Histogram.Quantile(0.50), g.Cell.Histogram.Quantile(0.95), g.Cell.Histogram.Quantile(0.99), g.Cell.RequestBytes, g.Cell.ResponseBytes, g.Cell.LastSeen);

    private async Task<IActionResult> RespondAsync(Caller caller, HttpRequest request, RollupSet set, CancellationToken ct, Func<Breakdown, object> body)
    {
        var (limit, invalidLimit) = QueryParameters.Int(request, "limit", 100, 1, MaxLimit);
        if (invalidLimit is not null) return invalidLimit;
        return await QueryAsync(caller, request, set, limit, ct, b => ApiResults.Ok(body(b)));
    }

    /// <summary>Validates the request and computes one page (<paramref name="limit"/> groups, all when null) of a breakdown.</summary>
    public async Task<IActionResult> QueryAsync(Caller caller, HttpRequest request, RollupSet set, int? limit, CancellationToken ct, Func<Breakdown, IActionResult> respond)
    {
        var (query, invalid) = MetricsRequest.Parse(request, time.GetUtcNow(), "24h", "environment");
        if (invalid is not null) return invalid;
        var names = set == RollupSet.Routes ? new[] { "route", "method" } : ["consumerId"];
        var sort = request.Query["sort"].FirstOrDefault() ?? "requests";
        if (!Metrics.Contains(sort) && !names.Contains(sort))
            return ApiResults.BadRequest("invalid-sort", $"sort must be one of {string.Join(", ", Metrics.Concat(names))}.");
        var order = request.Query["order"].FirstOrDefault() ?? (names.Contains(sort) ? "asc" : "desc");
        if (order is not ("asc" or "desc")) return ApiResults.BadRequest("invalid-order", "order must be asc or desc.");
        var spark = request.Query["spark"].FirstOrDefault();
        if (spark is not (null or "true" or "false")) return ApiResults.BadRequest("invalid-spark", "spark must be true or false.");
        var offset = 0;
        if (request.Query["cursor"].FirstOrDefault() is { } cursor && !TryDecodeCursor(cursor, sort, order, out offset))
            return ApiResults.BadRequest("invalid-cursor", "cursor is not one this query returned for the same sort and order.");

        var tenantLimits = await limits.GetAsync(caller.TenantId, ct);
        var columns = set == RollupSet.Routes ? new[] { "route", "method" } : ["consumer_id"];
        return await budget.RunAsync(caller.TenantId, async (connection, transaction, within) =>
        {
            var bySketch = sort is "p50" or "p95" or "p99";
            var all = await RollupReader.ReadAsync(connection, transaction, caller.TenantId,
                new RollupRead(set, query!.From, query.To, query.Filter, columns, Sketches: bySketch), within);
            var sorted = Sort(all, sort, order == "desc", names).ToList();
            var page = sorted.Skip(offset).Take(limit ?? int.MaxValue).ToList();
            if (!bySketch && page.Count > 0)
            {
                var sketched = (await RollupReader.ReadAsync(connection, transaction, caller.TenantId,
                        new RollupRead(set, query.From, query.To, query.Filter, columns, Sketches: true, OnlyFirst: page.Select(g => g.Key[0]).Distinct().ToList()), within))
                    .ToDictionary(g => string.Join('\0', g.Key), g => g.Cell);
                page = page.Select(g => sketched.TryGetValue(string.Join('\0', g.Key), out var cell) ? g with { Cell = cell } : g).ToList();
            }
            var next = offset + page.Count < sorted.Count && limit is not null ? EncodeCursor(sort, order, offset + page.Count) : null;
            var bound = set == RollupSet.Routes ? CardinalityBound.Routes : CardinalityBound.Consumers;
            var usage = await DashboardQueries.UsageAsync(connection, transaction, caller.TenantId, bound,
                set == RollupSet.Routes ? tenantLimits.MaxRoutes : tenantLimits.MaxConsumers, within);
            var covered = Coverage.Start(set, query.From, query.To, null, await retention.GetAsync(connection, transaction, caller.TenantId, within), time.GetUtcNow());
            var environments = await DashboardQueries.EnvironmentsAsync(connection, transaction, caller.TenantId, set, query.From, query.To, query.Filter, within);
            if (spark != "true" || page.Count == 0) return respond(new Breakdown(query, covered, page, next, usage, environments));
            var sparkStep = SparkStepOf(query.Window);
            var sparks = await SparksAsync(connection, transaction, caller.TenantId, set, query, columns, page, sparkStep, within);
            return respond(new Breakdown(query, covered, page, next, usage, environments, sparkStep, sparks));
        }, ct);
    }

    /// <summary>Requests per step for the page's groups only: one read, grouped by key and point.</summary>
    private static async Task<Dictionary<string, long[]>> SparksAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, RollupSet set,
        MetricsRequest query, string[] columns, List<RollupGroup> page, string stepText, CancellationToken ct)
    {
        Durations.TryParse(stepText, out var step);
        var starts = new List<DateTimeOffset> { query.From };
        for (var t = Durations.Floor(query.From, step) + step; t < query.To; t += step) starts.Add(t);
        var index = starts.Select((t, i) => (t, i)).ToDictionary(x => x.t, x => x.i);
        var wanted = page.Select(g => string.Join('\0', g.Key)).ToHashSet();
        var sparks = wanted.ToDictionary(k => k, _ => new long[starts.Count]);
        var points = await RollupReader.ReadAsync(connection, transaction, tenantId,
            new RollupRead(set, query.From, query.To, query.Filter, columns, step, RankOnly: true, OnlyFirst: page.Select(g => g.Key[0]).Distinct().ToList()), ct);
        foreach (var p in points)
            if (sparks.TryGetValue(string.Join('\0', p.Key), out var line) && p.Point is { } at && index.TryGetValue(at, out var i))
                line[i] += p.Cell.Requests;
        return sparks;
    }

    private static IEnumerable<RollupGroup> Sort(List<RollupGroup> groups, string sort, bool descending, string[] names)
    {
        Func<RollupGroup, double> metric = sort switch
        {
            "requests" => g => g.Cell.Requests,
            "errorRate" => g => g.Cell.ErrorRate,
            "p50" => g => g.Cell.Histogram.Quantile(0.50) ?? double.NegativeInfinity,
            "p95" => g => g.Cell.Histogram.Quantile(0.95) ?? double.NegativeInfinity,
            "p99" => g => g.Cell.Histogram.Quantile(0.99) ?? double.NegativeInfinity,
            "requestBytes" => g => g.Cell.RequestBytes,
            "responseBytes" => g => g.Cell.ResponseBytes,
            "lastSeen" => g => g.Cell.LastSeen.UtcTicks,
            _ => _ => 0,
        };
        var nameIndex = Array.IndexOf(names, sort);
        // Ties are broken by the group's names, so pages never overlap or skip a group of the same data.
        IOrderedEnumerable<RollupGroup> ordered = nameIndex >= 0
            ? (descending ? groups.OrderByDescending(g => g.Key[nameIndex], StringComparer.Ordinal) : groups.OrderBy(g => g.Key[nameIndex], StringComparer.Ordinal))
            : (descending ? groups.OrderByDescending(metric) : groups.OrderBy(metric));
        for (var i = 0; i < names.Length; i++)
        {
            var index = i;
            ordered = ordered.ThenBy(g => g.Key[index], StringComparer.Ordinal);
        }
        return ordered;
    }

    private static string EncodeCursor(string sort, string order, int offset) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes($"v1|{sort}|{order}|{offset}")).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static bool TryDecodeCursor(string cursor, string sort, string order, out int offset)
    {
        offset = 0;
        if (cursor.Length > 200) return false;
        try
        {
            var padded = cursor.Replace('-', '+').Replace('_', '/');
            padded += new string('=', (4 - padded.Length % 4) % 4);
            var parts = Encoding.UTF8.GetString(Convert.FromBase64String(padded)).Split('|');
            return parts is ["v1", var s, var o, var n] && s == sort && o == order
                && int.TryParse(n, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out offset);
        }
        catch (FormatException)
        {
            return false;
        }
    }
}
