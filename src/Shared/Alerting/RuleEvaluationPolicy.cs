namespace PulseStream.Alerting;

/// <summary>How one tenant's evaluation ended.</summary>
public enum EvaluationOutcome
{
    /// <summary>Every enabled rule was evaluated within the budget.</summary>
    Completed,
    /// <summary>
    /// The tenant's time budget (wall clock or a statement's timeout) ran out before every rule was evaluated: the
    /// tenant has more rules than one budget holds (the rest are evaluated first in its next turn), or a unit of rules
    /// was too slow (those rules are backed off on their own, <see cref="RuleEvaluationStatus.RetryAt"/>). The tenant
    /// is not backed off: it queues again behind the tenants already due, so it costs each of them at most one budget
    /// per turn.
    /// </summary>
    Partial,
    /// <summary>An error other than the budget, and no rule could be evaluated; logged, and the tenant backed off.</summary>
    Failed,
    /// <summary>The host stopped during the evaluation: the tenant stays due, and this does not count as an overrun.</summary>
    Interrupted,
}

/// <summary>
/// When a tenant is evaluated next. A completed tenant waits at least the per-tenant interval from the start of its
/// evaluation (a busy tenant is marked due by every batch), and stays due from the time the first rule it had to
/// leave out may run again (what that rule has not seen yet is evaluated then, not at the next sweep); one whose budget ran out first stays due and queues
/// behind the tenants due before it; a tenant whose evaluation failed stays due and is backed off, doubling from the
/// first backoff up to the maximum, so it costs the others its budget at most once per backoff rather than on every
/// round.
/// </summary>
public static class RuleEvaluationPolicy
{
    public static ScheduleUpdate After(DueTenant tenant, EvaluationOutcome outcome, DateTimeOffset startedAt, DateTimeOffset finishedAt, RuleEvaluationOptions options,
        DateTimeOffset? rulesWaitUntil = null)
    {
        var duration = finishedAt - startedAt;
        if (outcome == EvaluationOutcome.Completed)
        {
            var next = startedAt + options.TenantInterval;
            return new ScheduleUpdate(next > finishedAt ? next : finishedAt, 0, rulesWaitUntil, outcome, duration);
        }
        // Back in line behind the tenants already due (so the others have their turn first), without a backoff: the
        // rules it did not reach are waiting, and a rule too slow for the budget is backed off on its own.
        if (outcome == EvaluationOutcome.Partial)
            return new ScheduleUpdate(finishedAt, 0, finishedAt, outcome, duration);
        if (outcome == EvaluationOutcome.Interrupted)
            return new ScheduleUpdate(finishedAt, tenant.Overruns, tenant.DueSince, outcome, duration);
        var overruns = tenant.Overruns + 1;
        return new ScheduleUpdate(finishedAt + Backoff(overruns, options), overruns, tenant.DueSince, outcome, duration);
    }

    /// <summary>
    /// How often a rule over <paramref name="window"/> is evaluated at most: a sixtieth of its window, from 1 second
    /// (a 1-minute window) to 1 minute (windows of an hour and more). A longer window's value moves by at most a
    /// sixtieth of its events in that time and reads many more rows, so evaluating it every second would spend the
    /// tenant's budget on what cannot change, and delay its short-window rules (Prometheus and Grafana evaluate every
    /// rule once a minute by default).
    /// </summary>
    public static TimeSpan RuleInterval(TimeSpan window) => TimeSpan.FromSeconds(Math.Clamp(window.TotalSeconds / 60, 1, 60));

    /// <summary>The wait after the <paramref name="overruns"/>-th consecutive overrun (1-based).</summary>
    public static TimeSpan Backoff(int overruns, RuleEvaluationOptions options)
    {
        var doublings = Math.Clamp(overruns - 1, 0, 30);
        var wait = options.FirstBackoff.TotalMilliseconds * Math.Pow(2, doublings);
        return wait >= options.MaxBackoff.TotalMilliseconds ? options.MaxBackoff : TimeSpan.FromMilliseconds(wait);
    }

    /// <summary>
    /// How long a claim is leased: longer than any evaluation can run (its budget, plus the time a cancelled
    /// statement takes to stop), so no two evaluators run one tenant; an evaluator that dies frees it when it ends.
    /// </summary>
    public static TimeSpan Lease(RuleEvaluationOptions options) => options.TenantBudget * 2 + TimeSpan.FromSeconds(10);
}
