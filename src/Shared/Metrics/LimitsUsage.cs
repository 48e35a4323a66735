using Microsoft.AspNetCore.Mvc;
using Npgsql;
using PulseStream.Http;
using PulseStream.Identity;

namespace PulseStream.Metrics;

/// <summary>How much of its limits a tenant uses now.</summary>
/// <param name="EventsPerSecond">Accepted events per second over the last minute (received time is close to event time for live traffic).</param>
/// <param name="PeakEventsPerSecond">The busiest 10 seconds of the last hour, per second.</param>
public sealed record LimitsUsageView(double EventsPerSecond, double PeakEventsPerSecond, long Routes, long Consumers, long Rules);

/// <summary>
/// <c>GET /api/v1/settings/limits</c> (Viewer): the tenant's limits and its current use of them, for the Settings
/// view: the ingest rate against the sustained rate, distinct routes and consumers against their bounds, rules
/// against the rule limit. Read from the 10-second totals and the cardinality bounds, never from raw events.
/// </summary>
public sealed class LimitsUsage(QueryBudget budget, Tenancy.TenantLimitsStore limits, TimeProvider time)
{
    public async Task<IActionResult> GetAsync(Caller caller, CancellationToken ct)
    {
        var tenantLimits = await limits.GetAsync(caller.TenantId, ct);
        return await budget.RunAsync(caller.TenantId, async (connection, transaction, within) =>
        {
            var now = time.GetUtcNow();
            var step = TimeSpan.FromSeconds(10);
            var to = Durations.Floor(now, step);
            var tens = await RollupReader.ReadAsync(connection, transaction, caller.TenantId,
                new RollupRead(RollupSet.Totals, to - TimeSpan.FromHours(1), to, new RollupFilter(), [], step, RankOnly: true), within);
            var lastMinute = tens.Where(g => g.Point >= to - TimeSpan.FromMinutes(1)).Sum(g => g.Cell.Requests) / 60.0;
            var peak = tens.Count == 0 ? 0 : tens.Max(g => g.Cell.Requests) / step.TotalSeconds;
            long rules;
            await using (var count = new NpgsqlCommand("SELECT count(*) FROM alert_rules WHERE tenant_id = $1", connection, transaction))
            {
                count.Parameters.AddWithValue(caller.TenantId);
                rules = (long)(await count.ExecuteScalarAsync(within))!;
            }
            var routes = await DashboardQueries.UsageAsync(connection, transaction, caller.TenantId, CardinalityBound.Routes, tenantLimits.MaxRoutes, within);
            var consumers = await DashboardQueries.UsageAsync(connection, transaction, caller.TenantId, CardinalityBound.Consumers, tenantLimits.MaxConsumers, within);
            return ApiResults.Ok(new
            {
                limits = tenantLimits,
                usage = new LimitsUsageView(lastMinute, peak, routes.Distinct, consumers.Distinct, rules),
                routes,
                consumers,
            });
        }, ct);
    }
}
