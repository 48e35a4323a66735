using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Npgsql;
using NpgsqlTypes;
using PulseStream.Alerting;
using PulseStream.Http;
using PulseStream.Identity;
using PulseStream.Storage;

namespace PulseStream.Metrics;

public sealed record Totals(long Requests, long Errors4xx, long Errors5xx, double ErrorRate, double Rpm, double? P50, double? P95, double? P99);
public sealed record RouteSummary(string Route, string Method, long Requests, double ErrorRate, double? P95);
public sealed record Overview(string Window, DateTimeOffset From, DateTimeOffset To, Totals Totals, IReadOnlyList<RouteSummary> TopRoutes,
    IReadOnlyDictionary<string, long> StatusClasses, IReadOnlyList<AlertView> FiringAlerts, RouteUsage Routes);
/// <summary>How many distinct routes the tenant has, its limit, and how much traffic went to <c>/{other}</c> beyond it.</summary>
public sealed record RouteUsage(long Distinct, int Limit, long OverflowEvents, long OverflowRoutes);
public sealed record RouteReport(string Route, string Method, long Requests, double ErrorRate, double? P50, double? P95, double? P99);
public sealed record SeriesPoint(DateTimeOffset Ts, double? Value);
public sealed record Series(string Metric, string Window, string Step, IReadOnlyList<SeriesPoint> Points);

/// <summary>
/// The dashboard's read API over the per-minute rollups (and raw events for sub-minute steps). Sums are clamped to
/// bigint in SQL (<c>clamp_bigint</c>: <c>sum()</c> over bigint is numeric) and added with saturation here, so no
/// size of stored counter can fail a query.
/// </summary>
public sealed class DashboardQueries(Database database, Tenancy.TenantLimitsStore limits, TimeProvider time)
{
    public static readonly string[] SeriesMetrics = ["request_count", "error_rate", "latency_p50", "latency_p95", "latency_p99", "latency_avg"];
    private const int MaxPoints = 1500;

    public async Task<IActionResult> OverviewAsync(Caller caller, HttpRequest request, CancellationToken ct)
    {
        var (windowText, window, invalid) = Window(request, "1h");
        if (invalid is not null) return invalid;
        var to = time.GetUtcNow();
        var from = Durations.FloorToMinute(to - window);

        var overview = await database.ForTenantAsync(caller.TenantId, async (connection, transaction) =>
        {
            var classes = new Dictionary<string, long> { ["2xx"] = 0, ["3xx"] = 0, ["4xx"] = 0, ["5xx"] = 0 };
            var all = new LatencyHistogram();
            var routes = new Dictionary<(string Route, string Method), (long Requests, long Errors, LatencyHistogram Histogram)>();
            await using var command = new NpgsqlCommand("""
                SELECT route, method, status_class, clamp_bigint(sum(request_count)), histogram_sum(histogram)::text
                FROM rollups_minute WHERE tenant_id = $1 AND bucket >= $2 AND bucket <= $3
                GROUP BY route, method, status_class
                """, connection, transaction);
            command.Parameters.AddWithValue(caller.TenantId);
            command.Parameters.AddWithValue(from);
            command.Parameters.AddWithValue(to);
            await using (var reader = await command.ExecuteReaderAsync(ct))
            {
                while (await reader.ReadAsync(ct))
                {
                    var (route, method, statusClass, count) = (reader.GetString(0), reader.GetString(1), reader.GetInt16(2), reader.GetInt64(3));
                    var histogram = LatencyHistogram.FromJson(reader.GetString(4));
                    var label = $"{statusClass}xx";
                    classes[label] = Saturating.Add(classes.GetValueOrDefault(label), count);
                    all.Merge(histogram);
                    var current = routes.GetValueOrDefault((route, method), (0, 0, new LatencyHistogram()));
                    current.Histogram.Merge(histogram);
                    routes[(route, method)] = (Saturating.Add(current.Requests, count), Saturating.Add(current.Errors, statusClass == 5 ? count : 0), current.Histogram);
                }
            }
            var requests = Saturating.Sum(classes.Values);
            var totals = new Totals(requests, classes["4xx"], classes["5xx"], requests == 0 ? 0 : (double)classes["5xx"] / requests,
                requests / Math.Max(1, window.TotalMinutes), all.Quantile(0.50), all.Quantile(0.95), all.Quantile(0.99));
            var top = routes.OrderByDescending(r => r.Value.Requests).Take(10)
                .Select(r => new RouteSummary(r.Key.Route, r.Key.Method, r.Value.Requests, (double)r.Value.Errors / r.Value.Requests, r.Value.Histogram.Quantile(0.95)))
                .ToList();
            var firing = await AlertQueries.ListAsync(connection, transaction, caller.TenantId, "firing", 50, ct);
            return new Overview(windowText, from, to, totals, top, classes, firing, await RouteUsageAsync(connection, transaction, caller.TenantId, ct));
        }, ct);
        return ApiResults.Ok(overview);
    }

    /// <summary>The <c>window</c> query parameter: one of the contract's windows, or a 400.</summary>
    private static (string Text, TimeSpan Window, IActionResult? Failure) Window(HttpRequest request, string defaultWindow)
    {
        var text = request.Query["window"].FirstOrDefault() ?? defaultWindow;
        return Durations.Windows.Contains(text) && Durations.TryParse(text, out var window)
            ? (text, window, null)
            : (text, default, ApiResults.BadRequest("invalid-window", $"window must be one of {string.Join(", ", Durations.Windows)}."));
    }

    private async Task<RouteUsage> RouteUsageAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, CancellationToken ct)
    {
        long distinct, overflowEvents, overflowRoutes;
        await using (var command = new NpgsqlCommand("""
            SELECT (SELECT count(*) FROM tenant_routes WHERE tenant_id = $1),
                   coalesce((SELECT events FROM route_overflow WHERE tenant_id = $1), 0),
                   coalesce((SELECT routes FROM route_overflow WHERE tenant_id = $1), 0)
            """, connection, transaction))
        {
            command.Parameters.AddWithValue(tenantId);
            await using var reader = await command.ExecuteReaderAsync(ct);
            await reader.ReadAsync(ct);
            (distinct, overflowEvents, overflowRoutes) = (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2));
        }
        return new RouteUsage(distinct, (await limits.GetAsync(tenantId, ct)).MaxRoutes, overflowEvents, overflowRoutes);
    }

    /// <summary><c>GET /api/v1/routes?window=</c>: per route and method, the count, error rate and percentiles.</summary>
    public async Task<IActionResult> RoutesAsync(Caller caller, HttpRequest request, CancellationToken ct)
    {
        var (windowText, window, invalid) = Window(request, "24h");
        if (invalid is not null) return invalid;
        var to = time.GetUtcNow();
        var from = Durations.FloorToMinute(to - window);
        var (items, usage) = await database.ForTenantAsync(caller.TenantId, async (connection, transaction) =>
        {
            var reports = new List<RouteReport>();
            await using (var command = new NpgsqlCommand("""
                SELECT route, method, clamp_bigint(sum(request_count)), clamp_bigint(coalesce(sum(request_count) FILTER (WHERE status_class = 5), 0)),
                       histogram_sum(histogram)::text
                FROM rollups_minute WHERE tenant_id = $1 AND bucket >= $2 AND bucket <= $3
                GROUP BY route, method ORDER BY 3 DESC LIMIT 5000
                """, connection, transaction))
            {
                command.Parameters.AddWithValue(caller.TenantId);
                command.Parameters.AddWithValue(from);
                command.Parameters.AddWithValue(to);
                await using var reader = await command.ExecuteReaderAsync(ct);
                while (await reader.ReadAsync(ct))
                {
                    var histogram = LatencyHistogram.FromJson(reader.GetString(4));
                    var count = reader.GetInt64(2);
                    reports.Add(new RouteReport(reader.GetString(0), reader.GetString(1), count, count == 0 ? 0 : (double)reader.GetInt64(3) / count,
                        histogram.Quantile(0.50), histogram.Quantile(0.95), histogram.Quantile(0.99)));
                }
            }
            return (reports, await RouteUsageAsync(connection, transaction, caller.TenantId, ct));
        }, ct);
        return ApiResults.Ok(new { window = windowText, from, to, items, routes = usage });
    }

    public async Task<IActionResult> TimeseriesAsync(Caller caller, HttpRequest request, CancellationToken ct)
    {
        var q = request.Query;
        var metric = q["metric"].FirstOrDefault() ?? "request_count";
        var stepText = q["step"].FirstOrDefault() ?? "1m";
        if (!SeriesMetrics.Contains(metric))
            return ApiResults.BadRequest("invalid-metric", $"metric must be one of {string.Join(", ", SeriesMetrics)}.");
        var (windowText, window, invalidWindow) = Window(request, "1h");
        if (invalidWindow is not null) return invalidWindow;
        if (!Durations.Steps.Contains(stepText) || !Durations.TryParse(stepText, out var step))
            return ApiResults.BadRequest("invalid-step", $"step must be one of {string.Join(", ", Durations.Steps)}.");
        if (window / step > MaxPoints)
            return ApiResults.BadRequest("too-many-points", $"window / step may give at most {MaxPoints} points; use a larger step.");

        var filters = (Route: q["route"].FirstOrDefault(), Consumer: q["consumerId"].FirstOrDefault(), Environment: q["environment"].FirstOrDefault());
        var to = time.GetUtcNow();
        var from = Durations.Floor(to - window, step);
        // Sub-minute steps read raw events (short windows only); the rest read the per-minute rollups.
        var fromRaw = step < TimeSpan.FromMinutes(1);
        var sql = fromRaw
            ? """
              SELECT date_bin($4::interval, ts, $2) AS t, count(*)::bigint, count(*) FILTER (WHERE status_code >= 500)::bigint,
                     sum(latency_ms), NULL::text, array_agg(latency_ms)
              FROM events WHERE tenant_id = $1 AND ts >= $2 AND ts <= $3
                AND ($5::text IS NULL OR route = $5) AND ($6::text IS NULL OR consumer_id = $6) AND ($7::text IS NULL OR environment = $7)
              GROUP BY 1 ORDER BY 1
              """
            : """
              SELECT date_bin($4::interval, bucket, $2) AS t, clamp_bigint(sum(request_count)),
                     clamp_bigint(coalesce(sum(request_count) FILTER (WHERE status_class = 5), 0)), sum(latency_sum), histogram_sum(histogram)::text, NULL::float8[]
              FROM rollups_minute WHERE tenant_id = $1 AND bucket >= $2 AND bucket <= $3
                AND ($5::text IS NULL OR route = $5) AND ($6::text IS NULL OR consumer_id = $6) AND ($7::text IS NULL OR environment = $7)
              GROUP BY 1 ORDER BY 1
              """;
        var byTime = await database.ForTenantAsync(caller.TenantId, async (connection, transaction) =>
        {
            await using var command = new NpgsqlCommand(sql, connection, transaction);
            command.Parameters.AddWithValue(caller.TenantId);
            command.Parameters.AddWithValue(from);
            command.Parameters.AddWithValue(to);
            command.Parameters.AddWithValue(step);
            foreach (var value in new[] { filters.Route, filters.Consumer, filters.Environment })
                command.Parameters.Add(new NpgsqlParameter { Value = (object?)value ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
            var values = new Dictionary<DateTimeOffset, double?>();
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                var count = reader.GetInt64(1);
                var histogram = new LatencyHistogram();
                if (!reader.IsDBNull(4)) histogram = LatencyHistogram.FromJson(reader.GetString(4));
                else if (!reader.IsDBNull(5)) foreach (var latency in reader.GetFieldValue<double[]>(5)) histogram.Add(latency);
                values[reader.GetFieldValue<DateTimeOffset>(0)] = metric switch
                {
                    "request_count" => count,
                    "error_rate" => count == 0 ? null : (double)reader.GetInt64(2) / count,
                    "latency_avg" => count == 0 ? null : reader.GetDouble(3) / count,
                    "latency_p50" => histogram.Quantile(0.50),
                    "latency_p95" => histogram.Quantile(0.95),
                    _ => histogram.Quantile(0.99),
                };
            }
            return values;
        }, ct);

        var points = new List<SeriesPoint>();
        for (var t = from; t <= to; t += step)
            points.Add(new SeriesPoint(t, byTime.TryGetValue(t, out var v) ? v : metric == "request_count" ? 0 : null));
        return ApiResults.Ok(new Series(metric, windowText, stepText, points));
    }
}
