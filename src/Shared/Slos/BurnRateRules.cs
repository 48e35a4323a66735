using PulseStream.Alerting;
using PulseStream.Http;

namespace PulseStream.Slos;

/// <summary>
/// The checks a <c>burn_rate</c> condition gets (<c>{type, sloId, level}</c>) and the fields derived for it. The
/// derived fields (metric <c>burn_rate</c>, operator <c>&gt;=</c>, threshold 1, the window of <see cref="BurnRate.WindowOf"/>)
/// may be sent back as a GET shows them; other values are refused, as are fields that have no meaning for a burn
/// rate: filters and grouping (the SLO's are used), a recovery threshold, and no-data alerting (no traffic burns no
/// budget).
/// </summary>
public static class BurnRateRules
{
    public static void Validate(AlertRuleBody rule, List<FieldError> errors)
    {
        var c = rule.Condition;
        if (c.SloId is null || c.SloId == Guid.Empty) errors.Add(new("condition.sloId", "A burn_rate condition names the SLO it alerts on."));
        if (c.Level is not null && !BurnRate.Levels.Contains(c.Level)) errors.Add(new("condition.level", "Must be page or ticket."));
        var level = c.Level ?? BurnRate.Page;
        if (c.Metric is not null && c.Metric != BurnRate.Metric) errors.Add(new("condition.metric", "A burn_rate condition has no metric of its own (leave it out, or burn_rate)."));
        if (c.Operator is not null && c.Operator != BurnRate.Operator) errors.Add(new("condition.operator", "A burn_rate condition holds at a score of 1 and above (leave it out, or >=)."));
        if (c.Threshold is not (0 or BurnRate.Threshold)) errors.Add(new("condition.threshold", "A burn_rate condition's thresholds come from its level (leave it out, or 1)."));
        if (c.Window is not null && c.Window != BurnRate.WindowOf(level))
            errors.Add(new("condition.window", $"A burn_rate condition's windows come from its level (leave it out, or {BurnRate.WindowOf(level)})."));
        if (c.Filters is not null || c.GroupBy is { Count: > 0 })
            errors.Add(new("condition.filters", "A burn_rate condition reads its SLO's filters and groups (per consumer for a per-consumer SLO)."));
        if (c.RecoveryThreshold is not null) errors.Add(new("condition.recoveryThreshold", "A burn_rate condition recovers as soon as its short window does."));
        if (rule.NoData == "alerting" || rule.NoDataFor is not null)
            errors.Add(new("noData", "No traffic burns no budget: a burn_rate rule takes noData ok or keepState, and no noDataFor."));
    }

    public static RuleCondition Normalize(RuleCondition c)
    {
        var level = c.Level ?? BurnRate.Page;
        return c with
        {
            Metric = BurnRate.Metric, Operator = BurnRate.Operator, Threshold = BurnRate.Threshold, Window = BurnRate.WindowOf(level), Level = level,
            Filters = null, GroupBy = null,
        };
    }
}
