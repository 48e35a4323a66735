using Microsoft.AspNetCore.Mvc;
using PulseStream.Alerting;
using PulseStream.Http;
using PulseStream.Identity;
using PulseStream.Storage;

namespace PulseStream.Anomalies;

/// <summary>One group's baseline as the API shows it: how much history it has and what it can judge with.</summary>
/// <param name="Status"><c>warming-up</c> (less than the daily warm-up: judged by the fallback threshold, if any), <c>daily</c> or <c>weekly</c>.</param>
public sealed record BaselineView(string Group, string Status, DateTimeOffset HistoryFrom, DateTimeOffset DailyFrom, DateTimeOffset WeeklyFrom,
    DateTimeOffset ComputedAt, int Samples);

/// <summary>A rule's baselines, and the warm-up every group goes through.</summary>
public sealed record RuleBaselines(Guid RuleId, string Metric, string DailyWarmUp, string WeeklyWarmUp, string Refreshed, int MaxGroups, IReadOnlyList<BaselineView> Groups);

/// <summary>
/// <c>GET /api/v1/alert-rules/{id}/baselines</c> (Viewer): each group of an anomaly rule with its warm-up state, so the
/// API and the dashboard say which groups are judged by a weekly or a daily baseline, and from when the others will be.
/// </summary>
public sealed class AnomalyBaselineEndpoints(Database database)
{
    public async Task<IActionResult> GetAsync(Caller caller, string id, CancellationToken ct)
    {
        if (!Guid.TryParse(id, out var ruleId)) return ApiResults.NotFound("No such rule.");
        var found = await database.ForTenantAsync(caller.TenantId, async (c, t) =>
        {
            var rule = (await AlertRuleStore.ListAsync(c, t, caller.TenantId, enabledOnly: false, ct, ruleId)).SingleOrDefault();
            return rule is null ? (null, null) : (rule, await AnomalyBaselineStore.ReadAsync(c, t, caller.TenantId, ruleId, ct));
        }, ct);
        if (found.rule is not { } r) return ApiResults.NotFound("No such rule.");
        if (!r.Body.Condition.IsAnomaly) return ApiResults.BadRequest("not-an-anomaly-rule", "Only anomaly rules have baselines.");
        var groups = found.Item2!.OrderBy(g => g.Key, StringComparer.Ordinal).Select(g =>
        {
            var (daily, weekly) = AnomalyModel.ReadyAt(g.Value.HistoryFrom);
            return new BaselineView(g.Key, g.Value.Slots.Length == 0 ? "warming-up" : g.Value.Seasonality, g.Value.HistoryFrom, daily, weekly, g.Value.ComputedAt, g.Value.Samples);
        }).ToList();
        return ApiResults.Ok(new RuleBaselines(r.Id, r.Body.Condition.Metric, "3d", "21d", "1h", AnomalyBaselineRefresh.MaxGroups, groups));
    }
}
