using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Npgsql;
using PulseStream.Http;
using PulseStream.Identity;
using PulseStream.Metrics;

namespace PulseStream.Insights;

/// <summary>
/// The overview's insights (<see cref="Insights"/>): the window's routes and consumers against the same window on each
/// of the previous <see cref="Days"/> days, read from the routes and consumers rollups, two reads per window under the
/// query budget. The window is the last complete minutes (the current minute is still filling, and would read as a
/// drop against full reference minutes). Days without any traffic in the window (before the tenant's first events, or
/// past the rollups' retention) are not references: they would make every route look new.
/// </summary>
public sealed class InsightQueries(QueryBudget budget, TimeProvider time)
{
    /// <summary>Days back compared with.</summary>
    public const int Days = 7;

    /// <summary>Changes listed per metric.</summary>
    public const int PerMetric = 5;

    /// <summary>The windows insights compare: at most a day, so that the reference windows do not overlap it.</summary>
    public static readonly string[] Windows = ["5m", "15m", "1h", "6h", "24h"];

    public async Task<IActionResult> InsightsAsync(Caller caller, HttpRequest request, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var (query, invalid) = MetricsRequest.Parse(request, now, "1h", "environment");
        if (invalid is not null) return invalid;
        if (!Windows.Contains(query!.WindowText))
            return ApiResults.BadRequest("invalid-window", $"Insights compare a window of at most a day: window must be one of {string.Join(", ", Windows)}.");
        var late = query.To - Durations.FloorToMinute(now);
        var (from, to) = late > TimeSpan.Zero ? (query.From - late, query.To - late) : (query.From, query.To);

        return await budget.RunAsync(caller.TenantId, async (connection, transaction, within) =>
        {
            var current = await WindowAsync(connection, transaction, caller.TenantId, from, to, query.Filter, within);
            var references = new List<DateTimeOffset>();
            var before = new List<InsightWindow>();
            for (var day = 1; day <= Days; day++)
            {
                var offset = TimeSpan.FromDays(day);
                var window = await WindowAsync(connection, transaction, caller.TenantId, from - offset, to - offset, query.Filter, within);
                if (window.Requests == 0) continue;
                references.Add(from - offset);
                before.Add(window);
            }
            if (references.Count == 0)
                return ApiResults.Ok(new Insights(query.WindowText, from, to, query.Filter.Environment, [], [], [],
                    $"No traffic in this window on any of the previous {Days} days to compare with: insights need at least a day of history."));
            var (totals, changes) = InsightRanking.Rank(references, current, before, PerMetric);
            return ApiResults.Ok(new Insights(query.WindowText, from, to, query.Filter.Environment, references, totals, changes, null));
        }, ct);
    }

    private static async Task<InsightWindow> WindowAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId,
        DateTimeOffset from, DateTimeOffset to, RollupFilter filter, CancellationToken ct)
    {
        var routes = (await RollupReader.ReadAsync(connection, transaction, tenantId, new RollupRead(RollupSet.Routes, from, to, filter, ["route", "method"], SplitOnly: true), ct))
            .ToDictionary(g => $"{g.Key[1]} {g.Key[0]}", g => g.Cell, StringComparer.Ordinal);
        if (routes.Count == 0) return new InsightWindow(routes, new Dictionary<string, RollupCell>());
        // The consumers' rollups leave out requests without a consumer: they are the part without a value.
        var consumers = (await RollupReader.ReadAsync(connection, transaction, tenantId, new RollupRead(RollupSet.Consumers, from, to, filter, ["consumer_id"], SplitOnly: true), ct))
            .Where(g => g.Key[0].Length > 0)
            .ToDictionary(g => g.Key[0], g => g.Cell, StringComparer.Ordinal);
        return new InsightWindow(routes, consumers);
    }
}
