using System.ComponentModel.DataAnnotations;

namespace PulseStream.Alerting;

/// <summary>
/// How rule evaluation is bounded so that no tenant slows another (app settings <c>Alerts__Evaluation__*</c>).
/// </summary>
public sealed class RuleEvaluationOptions
{
    public const string Section = "Alerts:Evaluation";

    /// <summary>Wall-clock time one tenant's evaluation may take (also each statement's <c>statement_timeout</c>).</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:01:00")]
    public TimeSpan TenantBudget { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Groups a rule evaluates at most; a rule with more shows <c>groupLimitHit</c>.</summary>
    [Range(1, 100_000)]
    public int MaxGroupsPerRule { get; set; } = 1000;

    /// <summary>Tenants evaluated at the same time by one timer invocation.</summary>
    [Range(1, 16)]
    public int Parallelism { get; set; } = 2;

    /// <summary>
    /// A tenant's rules are evaluated at most this often: a busy tenant is marked due by every batch, and rule
    /// windows are a minute or more, so evaluating more often would see nothing new.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan TenantInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>First wait after a tenant overran its budget or failed; it doubles per consecutive overrun.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00")]
    public TimeSpan FirstBackoff { get; set; } = TimeSpan.FromSeconds(5);

    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// How long one timer invocation keeps claiming due tenants before it returns (the next tick goes on), so one
    /// invocation never runs unbounded.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:05:00")]
    public TimeSpan RunBudget { get; set; } = TimeSpan.FromSeconds(20);
}
