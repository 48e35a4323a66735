using Microsoft.Extensions.Logging;
using Npgsql;
using PulseStream.Alerting;
using PulseStream.Metrics;
using PulseStream.Storage;

namespace PulseStream.Anomalies;

/// <summary>
/// Recomputes anomaly rules' baselines from the hourly rollups (<see cref="AnomalyModel.Build"/>), every hour from the
/// timer for every tenant with an enabled anomaly rule, and for a rule's first evaluation. A rule keeps baselines for at
/// most <see cref="MaxGroups"/> groups (its busiest over the last week); each rule is its own transaction with
/// <see cref="RuleTimeout"/>, and a tenant's rules share <see cref="TenantBudget"/>, so one tenant's history costs the
/// others one bounded turn.
/// </summary>
public sealed class AnomalyBaselineRefresh(Database database, TimeProvider time, ILogger<AnomalyBaselineRefresh> logger)
{
    public const int MaxGroups = 100;
    public static readonly TimeSpan RuleTimeout = TimeSpan.FromSeconds(20);
    public static readonly TimeSpan TenantBudget = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan Ranking = TimeSpan.FromDays(7);

    public async Task RunAsync(CancellationToken ct)
    {
        var tenants = new List<Guid>();
        await using (var command = database.DataSource.CreateCommand("SELECT tenants_with_anomaly_rules()"))
        await using (var reader = await command.ExecuteReaderAsync(ct))
            while (await reader.ReadAsync(ct)) tenants.Add(reader.GetGuid(0));
        foreach (var tenantId in tenants)
        {
            try
            {
                await RefreshTenantAsync(tenantId, ct);
            }
            catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                logger.LogWarning(e, "Refreshing the anomaly baselines of tenant {TenantId} failed; the last ones stay until the next hour", tenantId);
            }
        }
    }

    /// <summary>Refreshes every enabled anomaly rule of the tenant; returns how many it refreshed within the budget.</summary>
    public async Task<int> RefreshTenantAsync(Guid tenantId, CancellationToken ct)
    {
        using var budget = CancellationTokenSource.CreateLinkedTokenSource(ct);
        budget.CancelAfter(TenantBudget);
        var (rules, refreshedAt) = await database.ForTenantAsync(tenantId, async (c, t) =>
            ((await AlertRuleStore.ListAsync(c, t, tenantId, enabledOnly: true, budget.Token)).Where(r => r.Body.Condition.IsAnomaly).ToList(),
                await RefreshedAtAsync(c, t, tenantId, budget.Token)), budget.Token);
        // The least recently refreshed first (never refreshed first of all): a tenant whose rules do not all fit in one
        // budget has each refreshed in turn, instead of its last rules never.
        rules = rules.OrderBy(r => refreshedAt.TryGetValue(r.Id, out var at) ? at : DateTimeOffset.MinValue).ThenBy(r => r.CreatedAt).ToList();
        var refreshed = 0;
        foreach (var rule in rules)
        {
            await database.ForTenantAsync(tenantId, async (connection, transaction) =>
            {
                await using (var limit = new NpgsqlCommand($"SET LOCAL statement_timeout = {(int)RuleTimeout.TotalMilliseconds}", connection, transaction))
                    await limit.ExecuteNonQueryAsync(budget.Token);
                var baselines = await BuildAsync(connection, transaction, tenantId, rule, time.GetUtcNow(), budget.Token);
                await AnomalyBaselineStore.ReplaceAsync(connection, transaction, tenantId, rule.Id, baselines, budget.Token);
            }, budget.Token);
            refreshed++;
        }
        return refreshed;
    }

    private static async Task<Dictionary<Guid, DateTimeOffset>> RefreshedAtAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("SELECT rule_id, min(computed_at) FROM anomaly_baselines WHERE tenant_id = $1 GROUP BY rule_id", connection, transaction);
        command.Parameters.AddWithValue(tenantId);
        var at = new Dictionary<Guid, DateTimeOffset>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) at[reader.GetGuid(0)] = reader.GetFieldValue<DateTimeOffset>(1);
        return at;
    }

    /// <summary>The rule's baselines at <paramref name="now"/>: its busiest groups of the last week, each from its last four weeks of hours.</summary>
    internal static async Task<Dictionary<string, AnomalyBaseline>> BuildAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, AlertRule rule,
        DateTimeOffset now, CancellationToken ct)
    {
        var condition = rule.Body.Condition;
        var groupBy = (condition.GroupBy ?? []).Distinct().ToList();
        var columns = RuleReadBatch.ColumnsOf(condition);
        var filter = RuleReadBatch.FilterOf(condition);
        var set = filter.SetFor(columns) ?? throw new InvalidOperationException($"Anomaly rule {rule.Id} reads no rollup set.");
        string KeyOf(RollupGroup g) => string.Join(",", groupBy.Select((name, i) => $"{name}={g.Key[i]}"));

        var lastHour = AnomalyModel.HourOf(now);
        var (rankFrom, rankTo) = RollupRange.Ending(now, Ranking);
        var busiest = (await RollupReader.ReadAsync(connection, transaction, tenantId, new RollupRead(set, rankFrom, rankTo, filter, columns, RankOnly: true), ct))
            .Where(g => g.Cell.Requests > 0)
            .OrderByDescending(g => g.Cell.Requests).ThenBy(KeyOf, StringComparer.Ordinal).Take(MaxGroups).ToList();
        if (busiest.Count == 0) return [];
        var chosen = busiest.Select(KeyOf).ToHashSet(StringComparer.Ordinal);
        var hours = await RollupReader.ReadAsync(connection, transaction, tenantId, new RollupRead(set, lastHour - AnomalyModel.History, lastHour, filter, columns,
            Step: TimeSpan.FromHours(1), Sketches: MetricValue.NeedsSketch(condition.Metric),
            OnlyFirst: columns.Length == 0 ? null : busiest.Select(g => g.Key[0]).Distinct().ToList()), ct);
        return hours.Where(g => g.Point is not null && chosen.Contains(KeyOf(g)))
            .GroupBy(KeyOf, StringComparer.Ordinal)
            .Select(g => (g.Key, Baseline: AnomalyModel.Build(condition.Metric,
                g.Select(h => new HourSample(h.Point!.Value, h.Cell.Requests, MetricValue.Of(condition.Metric, h.Cell))), now)))
            .Where(g => g.Baseline is not null)
            .ToDictionary(g => g.Key, g => g.Baseline!, StringComparer.Ordinal);
    }
}
