using Npgsql;
using PulseStream.Alerting;

namespace PulseStream.Anomalies;

/// <summary>A group's observed value and how it was judged: against its baseline, or (no reading) by the fallback threshold.</summary>
public sealed record AnomalyJudgement(double Observed, AnomalyReading? Reading, AnomalyBaseline? Baseline);

/// <summary>An anomaly rule's scored groups (the alert values) and how each was judged, which explains an alert that fires.</summary>
public sealed record AnomalyScores(List<GroupValue> Scores, IReadOnlyDictionary<string, AnomalyJudgement> Judged);

/// <summary>
/// An anomaly rule's groups and their scores at one evaluation: the metric over the rule's window per group, as a
/// threshold rule reads it (<see cref="RuleMetricQuery"/>), judged against the group's stored baseline at the window's
/// middle (<see cref="AnomalyModel.Judge"/>). A group still warming up (or new since the last refresh) scores by the
/// rule's fallback threshold, or is left out without one. For request counts, a group with a baseline and no requests in
/// the window is read as 0 requests: silence is the deepest drop. The first evaluation of a rule that has no
/// baselines yet, or only ones made before its last change, computes them (<see cref="AnomalyBaselineRefresh"/>); after
/// that only the hourly timer does.
/// </summary>
public static class AnomalyReads
{
    public static async Task<AnomalyScores> ComputeAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, AlertRule rule,
        RuleMetricQuery metrics, DateTimeOffset now, IReadOnlyCollection<string> openGroups, int limit, CancellationToken ct)
    {
        var condition = rule.Body.Condition;
        var baselines = await AnomalyBaselineStore.ReadAsync(connection, transaction, tenantId, rule.Id, ct);
        // None yet, or made for the rule as it was before its last change (another metric, other filters): made now.
        if (baselines.Count == 0 || baselines.Values.Any(b => b.Metric != condition.Metric || b.ComputedAt < rule.UpdatedAt))
        {
            baselines = await AnomalyBaselineRefresh.BuildAsync(connection, transaction, tenantId, rule, now, ct);
            await AnomalyBaselineStore.ReplaceAsync(connection, transaction, tenantId, rule.Id, baselines, ct);
        }
        var current = await metrics.ComputeAsync(connection, transaction, tenantId, rule, now, openGroups, limit, ct);
        if (AnomalyScale.IsRate(condition.Metric))
        {
            var heard = current.Select(g => g.GroupKey).ToHashSet(StringComparer.Ordinal);
            current.AddRange(baselines.Keys.Where(k => !heard.Contains(k)).Order(StringComparer.Ordinal).Take(Math.Max(0, limit - current.Count))
                .Select(k => new GroupValue(k, 0, 0)));
        }
        var minutes = rule.Window.TotalMinutes;
        var middle = now - rule.Window / 2;
        var scored = new List<GroupValue>(current.Count);
        var judged = new Dictionary<string, AnomalyJudgement>(StringComparer.Ordinal);
        foreach (var group in current)
        {
            if (group.Value is not { } value) continue;
            var reading = baselines.TryGetValue(group.GroupKey, out var baseline)
                ? AnomalyModel.Judge(baseline, middle, minutes, group.Requests, value, condition.Sensitivity, condition.Direction)
                : null;
            var score = reading?.Score ?? AnomalyRules.FallbackScore(condition, value);
            if (score is null) continue;
            scored.Add(group with { Value = score });
            judged[group.GroupKey] = new AnomalyJudgement(value, reading, baselines.GetValueOrDefault(group.GroupKey));
        }
        return new AnomalyScores(scored, judged);
    }
}
