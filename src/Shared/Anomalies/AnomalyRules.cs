using PulseStream.Alerting;
using PulseStream.Http;
using PulseStream.Metrics;

namespace PulseStream.Anomalies;

/// <summary>
/// The checks an <c>anomaly</c> condition gets (<c>{type, metric, sensitivity, direction, window, filters, groupBy,
/// minRequests, fallback}</c>) and the fields derived for it. The rule holds where a group's score
/// (<see cref="AnomalyReading.Score"/>) is at least 1, so its operator and threshold are derived (<c>&gt;=</c>, 1) and may
/// be sent back as a GET shows them. Its window (default 10m, 5m to 1h) is what each evaluation reads and judges. Filters
/// and groups must be ones a rollup set answers (not a route or method together with a consumer): baselines are read from
/// the hourly rollups. A recovery threshold has no meaning here (the band is the recovery).
/// </summary>
public static class AnomalyRules
{
    public const string Type = "anomaly";
    public const string Operator = ">=";
    public const double Threshold = 1;
    public const string DefaultWindow = "10m";

    public static void Validate(AlertRuleBody rule, List<FieldError> errors)
    {
        var c = rule.Condition;
        if (!AnomalyScale.Metrics.Contains(c.Metric)) errors.Add(new("condition.metric", $"Must be one of {string.Join(", ", AnomalyScale.Metrics)}."));
        if (c.Sensitivity is not null && !AnomalyModel.Sensitivities.Contains(c.Sensitivity)) errors.Add(new("condition.sensitivity", "Must be low, medium or high."));
        if (c.Direction is not null && !AnomalyModel.Directions.Contains(c.Direction)) errors.Add(new("condition.direction", "Must be above, below or both."));
        if (c.Operator is not null && c.Operator != Operator) errors.Add(new("condition.operator", "An anomaly condition holds outside its band, at a score of 1 and above (leave it out, or >=)."));
        if (c.Threshold is not (0 or Threshold)) errors.Add(new("condition.threshold", "An anomaly condition's band comes from its baseline and sensitivity (leave it out, or 1); a static threshold goes in fallback."));
        if (c.Window is not null && (!Durations.TryParse(c.Window, out var w) || w < TimeSpan.FromMinutes(5) || w > TimeSpan.FromHours(1) || w.Ticks % TimeSpan.TicksPerMinute != 0))
            errors.Add(new("condition.window", "Must be a whole number of minutes from 5m to 1h, like 10m."));
        AlertRuleValidator.ValidateGroupBy(c, errors);
        if (RuleReadBatch.FilterOf(c).SetFor(RuleReadBatch.ColumnsOf(c)) is null)
            errors.Add(new("condition.filters", "An anomaly rule's baselines are read from rollups: a route or method cannot be combined with a consumer in its filters and groupBy."));
        if (c.RecoveryThreshold is not null) errors.Add(new("condition.recoveryThreshold", "An anomaly condition recovers once the value is back inside its band."));
        if (c.SloId is not null || c.Level is not null) errors.Add(new("condition.sloId", "Only a burn_rate condition names an SLO and a level."));
        if (c.Fallback is { } fallback)
        {
            if (!AlertRuleValidator.Operators.Contains(fallback.Operator)) errors.Add(new("condition.fallback.operator", "Must be one of > >= < <=."));
            if (!double.IsFinite(fallback.Threshold)) errors.Add(new("condition.fallback.threshold", "Must be a finite number."));
        }
    }

    public static RuleCondition Normalize(RuleCondition c) => c with
    {
        Operator = Operator, Threshold = Threshold, Window = c.Window ?? DefaultWindow,
        Sensitivity = c.Sensitivity ?? "medium", Direction = c.Direction ?? "both",
    };

    /// <summary>A group's score while it warms up: 1 when its fallback threshold is met, 0 when not; null without a fallback.</summary>
    public static double? FallbackScore(RuleCondition c, double? value) =>
        c.Fallback is { } fallback && value is { } v ? (AlertStateMachine.Compare(v, fallback.Operator, fallback.Threshold) ? 1 : 0) : null;

}
