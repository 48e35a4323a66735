using System.Text.Json.Serialization;
using PulseStream.Http;
using PulseStream.Metrics;

namespace PulseStream.Alerting;

public sealed record RuleFilters(string? Route = null, string? Method = null, string? Environment = null, string? ConsumerId = null);

public sealed record RuleCondition(
    string Type, string Metric, string Operator, double Threshold, string Window,
    RuleFilters? Filters = null, IReadOnlyList<string>? GroupBy = null, int? MinRequests = null);

/// <summary>An alert rule as the API reads and writes it (CONTRACT.md, "Alert rule").</summary>
public sealed record AlertRuleBody(
    string Name, bool Enabled, string Severity, RuleCondition Condition, string? For,
    IReadOnlyList<Guid>? ChannelIds, Guid? EscalationPolicyId);

/// <summary>
/// How a rule's last evaluation went, as its GET shows it (<c>evaluation</c>): when it last completed, how many groups
/// it evaluated, whether the rule has more groups than the bound (those beyond it are not evaluated), and the last
/// error, if the latest attempt failed or ran out of the tenant's time budget: how many attempts in a row did, and when
/// the rule is attempted again (each such attempt doubles the wait, so one slow or broken rule costs its tenant's
/// other rules nothing).
/// </summary>
public sealed record RuleEvaluationStatus(
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] DateTimeOffset? LastEvaluatedAt,
    int Groups, int GroupLimit, bool GroupLimitHit,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? LastError,
    DateTimeOffset? LastErrorAt,
    int FailuresInARow = 0,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] DateTimeOffset? RetryAt = null);

public sealed record AlertRule(Guid Id, AlertRuleBody Body, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, RuleEvaluationStatus? Evaluation = null)
{
    public TimeSpan Window => Durations.TryParse(Body.Condition.Window, out var w) ? w : TimeSpan.FromMinutes(5);
    public TimeSpan For => Durations.TryParse(Body.For ?? "0s", out var f) ? f : TimeSpan.Zero;
}

/// <summary>Checks a rule body against the contract and the limits.</summary>
public static class AlertRuleValidator
{
    public static readonly string[] Metrics = ["request_count", "error_rate", "client_error_rate", "latency_avg", "latency_p50", "latency_p95", "latency_p99"];
    public static readonly string[] Operators = [">", ">=", "<", "<="];
    public static readonly string[] Severities = ["critical", "warning", "info"];
    public static readonly string[] GroupByFields = ["route", "method", "environment", "consumerId"];

    public static List<FieldError> Validate(AlertRuleBody? rule)
    {
        var errors = new List<FieldError>();
        if (rule is null) { errors.Add(new("$", "A rule object is required.")); return errors; }
        if (string.IsNullOrWhiteSpace(rule.Name) || rule.Name.Length > 200) errors.Add(new("name", "Required, at most 200 characters."));
        if (!Severities.Contains(rule.Severity)) errors.Add(new("severity", "Must be critical, warning or info."));
        if (rule.For is not null && (!Durations.TryParse(rule.For, out var f) || f > TimeSpan.FromDays(1))) errors.Add(new("for", "Must be a duration like 30s, 1m or 1h, at most 24h."));
        if (rule.ChannelIds is { Count: > 20 }) errors.Add(new("channelIds", "At most 20 channels."));
        var c = rule.Condition;
        if (c is null) { errors.Add(new("condition", "Required.")); return errors; }
        if (c.Type != "threshold") errors.Add(new("condition.type", "Must be threshold."));
        if (!Metrics.Contains(c.Metric)) errors.Add(new("condition.metric", $"Must be one of {string.Join(", ", Metrics)}."));
        if (!Operators.Contains(c.Operator)) errors.Add(new("condition.operator", "Must be one of > >= < <=."));
        if (!double.IsFinite(c.Threshold)) errors.Add(new("condition.threshold", "Must be a finite number."));
        // Whole minutes: windows are read from minute rollups.
        if (!Durations.TryParse(c.Window, out var w) || w < TimeSpan.FromMinutes(1) || w > TimeSpan.FromDays(1) || w.Ticks % TimeSpan.TicksPerMinute != 0)
            errors.Add(new("condition.window", "Must be a whole number of minutes from 1m to 24h, like 5m or 1h."));
        if (c.GroupBy is { } groupBy && (groupBy.Count > 4 || groupBy.Any(g => !GroupByFields.Contains(g)))) errors.Add(new("condition.groupBy", "Must be a subset of route, method, environment, consumerId."));
        if (c.MinRequests is < 0 or > 1_000_000) errors.Add(new("condition.minRequests", "Must be from 0 to 1,000,000."));
        if (c.Filters is { } filters && new[] { filters.Route, filters.Method, filters.Environment, filters.ConsumerId }.Any(v => v is { Length: > 2048 }))
            errors.Add(new("condition.filters", "Filter values must be at most 2,048 characters."));
        return errors;
    }
}
