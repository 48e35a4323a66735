using Npgsql;
using PulseStream.Alerting;

namespace PulseStream.UnitTests;

/// <summary>Whether a rule's evaluation was stopped by the tenant's time budget (recorded on the rule) or by something else.</summary>
public class BudgetStopTests
{
    private static readonly DateTimeOffset Deadline = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_cancellation_a_timer_tick_before_the_deadline_is_the_budgets()
    {
        // The budget's timer counts whole milliseconds: seen by the wall clock it can fire just before the deadline.
        Assert.True(AlertEvaluator.IsBudgetStop(new OperationCanceledException(), Deadline - TimeSpan.FromMilliseconds(1), Deadline));
        Assert.True(AlertEvaluator.IsBudgetStop(new OperationCanceledException(), Deadline + TimeSpan.FromMilliseconds(1), Deadline));
    }

    [Fact]
    public void A_cancellation_long_before_the_deadline_is_not_the_budgets()
    {
        Assert.False(AlertEvaluator.IsBudgetStop(new OperationCanceledException(), Deadline - TimeSpan.FromSeconds(1), Deadline));
    }

    [Fact]
    public void A_statement_timeout_is_the_budgets_whenever_it_comes()
    {
        var timeout = new PostgresException("canceling statement due to statement timeout", "ERROR", "ERROR", PostgresErrorCodes.QueryCanceled);
        Assert.True(AlertEvaluator.IsBudgetStop(timeout, Deadline - TimeSpan.FromSeconds(1), Deadline));
        Assert.False(AlertEvaluator.IsBudgetStop(new InvalidOperationException(), Deadline, Deadline));
    }

    [Fact]
    public void A_unit_stopped_by_the_budget_is_too_slow_only_when_it_had_at_least_half_of_it()
    {
        var budget = TimeSpan.FromSeconds(2);
        Assert.True(AlertEvaluator.TooSlow(budget, budget));
        Assert.True(AlertEvaluator.TooSlow(TimeSpan.FromSeconds(1), budget));
        // Cut short because the units before it (or reading the rules) used most of the budget: not its fault.
        Assert.False(AlertEvaluator.TooSlow(TimeSpan.FromMilliseconds(999), budget));
        Assert.False(AlertEvaluator.TooSlow(TimeSpan.FromMilliseconds(50), budget));
    }
}
