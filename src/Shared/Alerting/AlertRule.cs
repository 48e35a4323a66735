using System.Globalization;
using System.Text.Json.Serialization;
using PulseStream.Http;
using PulseStream.Metrics;
using PulseStream.Slos;

namespace PulseStream.Alerting;

public sealed record RuleFilters(string? Route = null, string? Method = null, string? Environment = null, string? ConsumerId = null);

/// <summary>
/// A rule's condition. <paramref name="RecoveryThreshold"/> (optional, hysteresis): a firing alert resolves only once the
/// value is past it on the recovering side (below it for <c>&gt;</c> and <c>&gt;=</c> rules, above it for <c>&lt;</c> and
/// <c>&lt;=</c>); null: once the condition no longer holds. A <c>burn_rate</c> condition names an SLO
/// (<paramref name="SloId"/>) and a <paramref name="Level"/> (<c>page</c> or <c>ticket</c>); its metric, operator,
/// threshold and window are derived (<see cref="Slos.BurnRate"/>). An <c>anomaly</c> condition watches its metric against
/// each group's seasonal baseline with a <paramref name="Sensitivity"/> and a <paramref name="Direction"/>, and while a
/// group warms up, against its <paramref name="Fallback"/> threshold if it has one (<see cref="Anomalies.AnomalyRules"/>).
/// </summary>
public sealed record RuleCondition(
    string Type, string Metric, string Operator, double Threshold, string Window,
    RuleFilters? Filters = null, IReadOnlyList<string>? GroupBy = null, int? MinRequests = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] double? RecoveryThreshold = null,
    Guid? SloId = null, string? Level = null,
    string? Sensitivity = null, string? Direction = null, AnomalyFallback? Fallback = null)
{
    /// <summary>A burn-rate condition: evaluated from its SLO (<see cref="Slos.BurnRateReads"/>), not from a metric of its own.</summary>
    [JsonIgnore] public bool IsBurnRate => Type == Slos.BurnRate.Type;

    /// <summary>An anomaly condition: its metric judged against each group's baseline (<see cref="Anomalies.AnomalyReads"/>).</summary>
    [JsonIgnore] public bool IsAnomaly => Type == Anomalies.AnomalyRules.Type;
}

/// <summary>The static threshold an anomaly rule applies to a group that is still warming up: the metric, compared as a threshold rule compares it.</summary>
public sealed record AnomalyFallback(string Operator, double Threshold);

/// <summary>
/// An alert rule as the API reads and writes it (CONTRACT.md, "Alert rule"). <paramref name="KeepFiringFor"/>: how long a
/// firing alert stays firing after its condition clears (default 0s). <paramref name="NoData"/>: <c>ok</c> (default),
/// <c>alerting</c> or <c>keepState</c>, what a known group without requests for <paramref name="NoDataFor"/> (default
/// the window) reads as (<see cref="GroupReadings"/>). <paramref name="FlapDetection"/>: null (off, the default) or how
/// many state changes within how long make a group flapping (<see cref="AlertFlapping"/>). <paramref name="GroupWait"/>,
/// <paramref name="GroupInterval"/>, <paramref name="RepeatInterval"/> (defaults 30s, 5m, 4h): how the rule's notification
/// group is sent, with Alertmanager's meaning (<see cref="Routing.NotificationGroups"/>).
/// </summary>
public sealed record AlertRuleBody(
    string Name, bool Enabled, string Severity, RuleCondition Condition, string? For,
    IReadOnlyList<Guid>? ChannelIds, Guid? EscalationPolicyId,
    string? KeepFiringFor = null, string? NoData = null, string? NoDataFor = null, FlapSettings? FlapDetection = null,
    string? GroupWait = null, string? GroupInterval = null, string? RepeatInterval = null);

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
    public TimeSpan KeepFiringFor => Durations.TryParse(Body.KeepFiringFor ?? "0s", out var k) ? k : TimeSpan.Zero;
    public NoDataPolicy NoData => AlertRuleValidator.NoDataPolicyOf(Body.NoData);

    /// <summary>How long a group must have had no requests for <see cref="NoData"/> to apply: the window unless set (never less).</summary>
    public TimeSpan NoDataFor => Durations.TryParse(Body.NoDataFor, out var n) && n > Window ? n : Window;

    /// <summary>
    /// How far back a group counts as known for <c>noData</c> and zero-traffic <c>request_count</c> rules: it had
    /// requests in the last twice <see cref="NoDataFor"/>, so one that went silent is noticed for <see cref="NoDataFor"/>.
    /// </summary>
    public TimeSpan KnownFor => NoDataFor * 2;

    public AlertTiming Timing => new(For, KeepFiringFor, NoData);

    /// <summary>The rule's flap detection; null when it has none.</summary>
    public FlapSettings? Flap => Body.FlapDetection;

    /// <summary>How the rule's notification group is sent (its defaults when the body leaves them out).</summary>
    public Routing.GroupTiming Grouping => Routing.GroupTiming.Of(Body.GroupWait, Body.GroupInterval, Body.RepeatInterval);
}

/// <summary>Checks a rule body against the contract and the limits.</summary>
public static class AlertRuleValidator
{
    public static readonly string[] Metrics = ["request_count", "error_rate", "client_error_rate", "latency_avg", "latency_p50", "latency_p95", "latency_p99"];
    public static readonly string[] Operators = [">", ">=", "<", "<="];
    public static readonly string[] Severities = ["critical", "warning", "info"];
    public static readonly string[] GroupByFields = ["route", "method", "environment", "consumerId"];
    public static readonly string[] NoDataPolicies = ["ok", "alerting", "keepState"];

    public static NoDataPolicy NoDataPolicyOf(string? text) => text switch
    {
        "alerting" => NoDataPolicy.Alerting,
        "keepState" => NoDataPolicy.KeepState,
        _ => NoDataPolicy.Ok,
    };

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
        if (c.MinRequests is < 0 or > 1_000_000) errors.Add(new("condition.minRequests", "Must be from 0 to 1,000,000."));
        if (c.IsBurnRate) BurnRateRules.Validate(rule, errors);
        else if (c.IsAnomaly) Anomalies.AnomalyRules.Validate(rule, errors);
        else
        {
            // An unknown type is also checked as a threshold condition, the contract's first type, so every broken field is named at once.
            if (c.Type != "threshold") errors.Add(new("condition.type", "Must be threshold, burn_rate or anomaly."));
            ValidateThreshold(c, errors);
        }
        if (rule.KeepFiringFor is not null && (!Durations.TryParse(rule.KeepFiringFor, out var keep) || keep > TimeSpan.FromDays(1)))
            errors.Add(new("keepFiringFor", "Must be a duration like 30s, 5m or 1h, at most 24h."));
        if (rule.NoData is not null && !NoDataPolicies.Contains(rule.NoData)) errors.Add(new("noData", "Must be ok, alerting or keepState."));
        if (rule.NoDataFor is not null && (!Durations.TryParse(rule.NoDataFor, out var silence) || silence > TimeSpan.FromDays(1)
            || silence.Ticks % TimeSpan.TicksPerMinute != 0 || (Durations.TryParse(c.Window, out var window) && silence < window)))
            errors.Add(new("noDataFor", "Must be a whole number of minutes, at least the condition's window and at most 24h, like 15m or 1h."));
        if (rule.FlapDetection is { } flap)
        {
            if (flap.Changes is < FlapSettings.MinChanges or > FlapSettings.MaxChanges)
                errors.Add(new("flapDetection.changes", $"Must be a whole number from {FlapSettings.MinChanges} to {FlapSettings.MaxChanges}."));
            if (!Durations.TryParse(flap.Within, out var within) || within < TimeSpan.FromMinutes(1) || within > TimeSpan.FromDays(1) || within.Ticks % TimeSpan.TicksPerSecond != 0)
                errors.Add(new("flapDetection.within", "Must be a duration from 1m to 24h in whole seconds, like 10m, 30m or 1h."));
        }
        Routing.GroupTimingRules.Validate(rule, errors);
        if (c.Filters is { } filters && new[] { filters.Route, filters.Method, filters.Environment, filters.ConsumerId }.Any(v => v is { Length: > 2048 }))
            errors.Add(new("condition.filters", "Filter values must be at most 2,048 characters."));
        return errors;
    }

    private static void ValidateThreshold(RuleCondition c, List<FieldError> errors)
    {
        if (!Metrics.Contains(c.Metric)) errors.Add(new("condition.metric", $"Must be one of {string.Join(", ", Metrics)}."));
        if (!Operators.Contains(c.Operator)) errors.Add(new("condition.operator", "Must be one of > >= < <=."));
        if (!double.IsFinite(c.Threshold)) errors.Add(new("condition.threshold", "Must be a finite number."));
        // Whole minutes: windows are read from minute rollups.
        if (!Durations.TryParse(c.Window, out var w) || w < TimeSpan.FromMinutes(1) || w > TimeSpan.FromDays(1) || w.Ticks % TimeSpan.TicksPerMinute != 0)
            errors.Add(new("condition.window", "Must be a whole number of minutes from 1m to 24h, like 5m or 1h."));
        ValidateGroupBy(c, errors);
        if (c.RecoveryThreshold is { } recovery && Operators.Contains(c.Operator) && double.IsFinite(c.Threshold)
            && (!double.IsFinite(recovery) || (c.Operator is ">" or ">=" ? recovery > c.Threshold : recovery < c.Threshold)))
            errors.Add(new("condition.recoveryThreshold", c.Operator is ">" or ">="
                ? $"Must be a number at most the threshold ({c.Threshold.ToString(CultureInfo.InvariantCulture)}): a {c.Operator} rule recovers below it."
                : $"Must be a number at least the threshold ({c.Threshold.ToString(CultureInfo.InvariantCulture)}): a {c.Operator} rule recovers above it."));
        if (c.SloId is not null || c.Level is not null) errors.Add(new("condition.sloId", "Only a burn_rate condition names an SLO and a level."));
        if (c.Sensitivity is not null || c.Direction is not null || c.Fallback is not null)
            errors.Add(new("condition.sensitivity", "Only an anomaly condition has a sensitivity, a direction and a fallback."));
    }

    /// <summary>The grouping check a threshold and an anomaly condition share.</summary>
    internal static void ValidateGroupBy(RuleCondition c, List<FieldError> errors)
    {
        if (c.GroupBy is { } groupBy && (groupBy.Count > 4 || groupBy.Any(g => !GroupByFields.Contains(g)))) errors.Add(new("condition.groupBy", "Must be a subset of route, method, environment, consumerId."));
    }

    /// <summary>The body as it is stored: a burn-rate condition with its derived metric, operator, threshold, window and level.</summary>
    public static AlertRuleBody Normalize(AlertRuleBody rule) =>
        rule.Condition.IsBurnRate ? rule with { Condition = BurnRateRules.Normalize(rule.Condition) }
        : rule.Condition.IsAnomaly ? rule with { Condition = Anomalies.AnomalyRules.Normalize(rule.Condition) }
        : rule;
}
