using PulseStream.Alerting;

namespace PulseStream.UnitTests;

public class AlertStateMachineTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan For = TimeSpan.FromMinutes(1);

    [Fact]
    public void A_met_condition_opens_a_pending_alert_that_fires_only_after_for_has_passed()
    {
        Assert.Equal(AlertTransition.StartPending, AlertStateMachine.Next(null, true, T0, For));
        var pending = new OpenAlert(Guid.NewGuid(), AlertState.Pending, T0);
        Assert.Equal(AlertTransition.None, AlertStateMachine.Next(pending, true, T0.AddSeconds(59), For));
        Assert.Equal(AlertTransition.Fire, AlertStateMachine.Next(pending, true, T0.AddSeconds(60), For));
    }

    [Fact]
    public void A_pending_alert_whose_condition_clears_is_dropped_without_firing()
    {
        var pending = new OpenAlert(Guid.NewGuid(), AlertState.Pending, T0);
        Assert.Equal(AlertTransition.DropPending, AlertStateMachine.Next(pending, false, T0.AddSeconds(30), For));
    }

    [Fact]
    public void Without_for_a_met_condition_fires_at_once()
    {
        Assert.Equal(AlertTransition.StartFiring, AlertStateMachine.Next(null, true, T0, TimeSpan.Zero));
        Assert.Equal(AlertTransition.None, AlertStateMachine.Next(null, false, T0, TimeSpan.Zero));
    }

    [Theory]
    [InlineData(AlertState.Firing)]
    [InlineData(AlertState.Acknowledged)]
    public void A_firing_or_acknowledged_alert_resolves_when_the_condition_clears_and_stays_while_it_holds(AlertState state)
    {
        var open = new OpenAlert(Guid.NewGuid(), state, T0);
        Assert.Equal(AlertTransition.None, AlertStateMachine.Next(open, true, T0.AddMinutes(10), For));
        Assert.Equal(AlertTransition.Resolve, AlertStateMachine.Next(open, false, T0.AddMinutes(10), For));
    }

    [Theory]
    [InlineData(0.06, ">", 0.05, true)]
    [InlineData(0.05, ">", 0.05, false)]
    [InlineData(0.05, ">=", 0.05, true)]
    [InlineData(10, "<", 20, true)]
    [InlineData(20, "<=", 20, true)]
    [InlineData(21, "<=", 20, false)]
    public void Operators_compare_value_with_threshold(double value, string op, double threshold, bool expected) =>
        Assert.Equal(expected, AlertStateMachine.Compare(value, op, threshold));

    [Fact]
    public void Rule_validation_names_each_broken_field()
    {
        var rule = new AlertRuleBody("", true, "loud", new RuleCondition("anomaly", "cpu", "!=", double.NaN, "1s", GroupBy: ["host"], MinRequests: -1), "forever", null, null);
        var fields = AlertRuleValidator.Validate(rule).Select(e => e.Field).ToHashSet();
        Assert.Superset(new HashSet<string> { "name", "severity", "for", "condition.type", "condition.metric", "condition.operator",
            "condition.threshold", "condition.window", "condition.groupBy", "condition.minRequests" }, fields);
        Assert.Equal(10, fields.Count);
    }
}
