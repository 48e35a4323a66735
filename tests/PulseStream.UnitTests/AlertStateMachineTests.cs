using CsCheck;
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
        var rule = new AlertRuleBody("", true, "loud", new RuleCondition("forecast", "cpu", "!=", double.NaN, "1s", GroupBy: ["host"], MinRequests: -1), "forever", null, null);
        var fields = AlertRuleValidator.Validate(rule).Select(e => e.Field).ToHashSet();
        Assert.Superset(new HashSet<string> { "name", "severity", "for", "condition.type", "condition.metric", "condition.operator",
            "condition.threshold", "condition.window", "condition.groupBy", "condition.minRequests" }, fields);
        Assert.Equal(10, fields.Count);
    }
    private static RuleCondition Condition(string op, double threshold, double? recovery = null, string metric = "error_rate", int? minRequests = null) =>
        new("threshold", metric, op, threshold, "5m", MinRequests: minRequests, RecoveryThreshold: recovery);

    [Theory]
    [InlineData(">", 0.05, 0.02, 0.06, GroupReading.Met)]
    [InlineData(">", 0.05, 0.02, 0.05, GroupReading.Held)]
    [InlineData(">", 0.05, 0.02, 0.02, GroupReading.Held)]
    [InlineData(">", 0.05, 0.02, 0.019, GroupReading.Cleared)]
    [InlineData(">=", 0.05, 0.05, 0.049, GroupReading.Cleared)]
    [InlineData("<", 10, 20, 9, GroupReading.Met)]
    [InlineData("<", 10, 20, 15, GroupReading.Held)]
    [InlineData("<=", 10, 20, 21, GroupReading.Cleared)]
    public void A_value_between_the_threshold_and_the_recovery_threshold_reads_as_held(string op, double threshold, double recovery, double value, GroupReading expected) =>
        Assert.Equal(expected, GroupReadings.Of(Condition(op, threshold, recovery), value, 100, silent: false));

    [Fact]
    public void Without_a_recovery_threshold_a_value_not_past_the_threshold_reads_as_cleared() =>
        Assert.Equal(GroupReading.Cleared, GroupReadings.Of(Condition(">", 0.05), 0.05, 100, silent: false));

    [Fact]
    public void A_firing_alert_stays_firing_between_the_thresholds_and_resolves_past_the_recovery_threshold()
    {
        var timing = new AlertTiming(TimeSpan.Zero);
        var firing = new OpenAlert(Guid.NewGuid(), AlertState.Firing, T0);
        Assert.Equal(AlertTransition.None, AlertStateMachine.Next(firing, GroupReading.Held, T0.AddMinutes(1), timing));
        Assert.Equal(AlertTransition.Resolve, AlertStateMachine.Next(firing, GroupReading.Cleared, T0.AddMinutes(1), timing));
        // No alert opens between the thresholds, and a pending one is dropped there: hysteresis holds only what fired.
        Assert.Equal(AlertTransition.None, AlertStateMachine.Next(null, GroupReading.Held, T0, timing));
        Assert.Equal(AlertTransition.DropPending, AlertStateMachine.Next(new OpenAlert(Guid.NewGuid(), AlertState.Pending, T0), GroupReading.Held, T0, timing));
    }

    [Theory]
    [InlineData(AlertState.Firing)]
    [InlineData(AlertState.Acknowledged)]
    public void Keep_firing_for_holds_a_cleared_alert_that_long_and_a_returning_condition_resets_the_clock(AlertState state)
    {
        var timing = new AlertTiming(TimeSpan.Zero, KeepFiringFor: TimeSpan.FromMinutes(10));
        var open = new OpenAlert(Guid.NewGuid(), state, T0);
        Assert.Equal(AlertTransition.StartClearing, AlertStateMachine.Next(open, GroupReading.Cleared, T0.AddMinutes(1), timing));
        var clearing = open with { ClearedAt = T0.AddMinutes(1) };
        Assert.Equal(AlertTransition.None, AlertStateMachine.Next(clearing, GroupReading.Cleared, T0.AddMinutes(10).AddSeconds(59), timing));
        Assert.Equal(AlertTransition.None, AlertStateMachine.Next(clearing, GroupReading.Held, T0.AddMinutes(11), timing));
        Assert.Equal(AlertTransition.Resolve, AlertStateMachine.Next(clearing, GroupReading.Cleared, T0.AddMinutes(11), timing));
        Assert.Equal(AlertTransition.StopClearing, AlertStateMachine.Next(clearing, GroupReading.Met, T0.AddMinutes(5), timing));
        Assert.Equal(AlertTransition.None, AlertStateMachine.Next(open, GroupReading.Met, T0.AddMinutes(5), timing));
    }

    [Theory]
    [InlineData(NoDataPolicy.Ok, AlertTransition.None, AlertTransition.Resolve, AlertTransition.DropPending)]
    [InlineData(NoDataPolicy.Alerting, AlertTransition.StartPending, AlertTransition.None, AlertTransition.Fire)]
    [InlineData(NoDataPolicy.KeepState, AlertTransition.None, AlertTransition.None, AlertTransition.None)]
    public void No_data_reads_as_the_rule_s_no_data_policy_says(NoDataPolicy policy, AlertTransition withoutAlert, AlertTransition firing, AlertTransition pending)
    {
        var timing = new AlertTiming(TimeSpan.FromMinutes(1), NoData: policy);
        var now = T0.AddMinutes(5);
        Assert.Equal(withoutAlert, AlertStateMachine.Next(null, GroupReading.NoData, now, timing));
        Assert.Equal(firing, AlertStateMachine.Next(new OpenAlert(Guid.NewGuid(), AlertState.Firing, T0), GroupReading.NoData, now, timing));
        Assert.Equal(pending, AlertStateMachine.Next(new OpenAlert(Guid.NewGuid(), AlertState.Pending, T0), GroupReading.NoData, now, timing));
        // Not yet silent for noDataFor: nothing changes, whatever the policy.
        Assert.Equal(AlertTransition.None, AlertStateMachine.Next(new OpenAlert(Guid.NewGuid(), AlertState.Firing, T0), GroupReading.Waiting, now, timing));
    }

    [Fact]
    public void A_group_without_requests_reads_as_no_data_once_silent_and_a_request_count_rule_reads_it_as_zero()
    {
        Assert.Equal(GroupReading.NoData, GroupReadings.Of(Condition(">", 0.1), null, 0, silent: true));
        Assert.Equal(GroupReading.Waiting, GroupReadings.Of(Condition(">", 0.1), null, 0, silent: false));
        Assert.Equal(GroupReading.Met, GroupReadings.Of(Condition("<", 5, metric: "request_count"), null, 0, silent: false));
        Assert.Equal(GroupReading.Cleared, GroupReadings.Of(Condition(">", 5, metric: "request_count"), null, 0, silent: true));
        Assert.Equal(0, GroupReadings.ValueOf(Condition("<", 5, metric: "request_count"), null, 0));
        Assert.Null(GroupReadings.ValueOf(Condition(">", 0.1), null, 0));
    }

    private static AlertRule RuleOf(AlertRuleBody body) => new(Guid.Empty, body, T0, T0);

    [Fact]
    public void Silence_can_alert_only_for_rules_that_zero_traffic_or_no_data_can_fire()
    {
        AlertRuleBody Body(RuleCondition c, string? noData = null) => new("r", true, "info", c, null, null, null, NoData: noData);
        Assert.True(GroupReadings.SilenceCanAlert(RuleOf(Body(Condition("<", 5, metric: "request_count")))));
        Assert.False(GroupReadings.SilenceCanAlert(RuleOf(Body(Condition("<", 5, metric: "request_count", minRequests: 1)))));
        Assert.False(GroupReadings.SilenceCanAlert(RuleOf(Body(Condition(">", 5, metric: "request_count"), "alerting"))));
        Assert.True(GroupReadings.SilenceCanAlert(RuleOf(Body(Condition(">", 0.1), "alerting"))));
        Assert.False(GroupReadings.SilenceCanAlert(RuleOf(Body(Condition(">", 0.1), "keepState"))));
        var defaults = RuleOf(Body(Condition(">", 0.1)));
        Assert.Equal((NoDataPolicy.Ok, TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(10), TimeSpan.Zero), (defaults.NoData, defaults.NoDataFor, defaults.KnownFor, defaults.KeepFiringFor));
    }

    [Fact]
    public void Rule_validation_refuses_a_recovery_threshold_on_the_firing_side_and_bad_flap_and_no_data_fields()
    {
        List<string> Fields(RuleCondition c, string? keep = null, string? noData = null, string? noDataFor = null) =>
            AlertRuleValidator.Validate(new AlertRuleBody("r", true, "info", c, null, null, null, keep, noData, noDataFor)).Select(e => e.Field).ToList();
        Assert.Equal(["condition.recoveryThreshold"], Fields(Condition(">", 0.05, 0.06)));
        Assert.Equal(["condition.recoveryThreshold"], Fields(Condition("<=", 10, 9)));
        Assert.Equal(["condition.recoveryThreshold"], Fields(Condition(">", 0.05, double.NaN)));
        Assert.Empty(Fields(Condition(">", 0.05, 0.05)));
        Assert.Empty(Fields(Condition("<", 10, 20), "1h", "alerting", "15m"));
        Assert.Empty(Fields(Condition(">=", 0.05, 0.02), "0s", "keepState", "5m"));
        Assert.Equal(["keepFiringFor"], Fields(Condition(">", 1), keep: "25h"));
        Assert.Equal(["keepFiringFor"], Fields(Condition(">", 1), keep: "soon"));
        Assert.Equal(["noData"], Fields(Condition(">", 1), noData: "alerting!"));
        Assert.Equal(["noDataFor"], Fields(Condition(">", 1), noDataFor: "1m"));
        Assert.Equal(["noDataFor"], Fields(Condition(">", 1), noDataFor: "90s"));
        Assert.Equal(["noDataFor"], Fields(Condition(">", 1), noDataFor: "2d"));
        var message = AlertRuleValidator.Validate(new AlertRuleBody("r", true, "info", Condition(">", 0.05, 0.06), null, null, null)).Single().Message;
        Assert.Contains("0.05", message);
    }

    [Fact]
    public void Property_a_firing_alert_resolves_only_past_the_recovery_threshold_and_fires_only_past_the_threshold()
    {
        Gen.Select(Gen.Double[0, 1].Array[1, 60], Gen.Double[0, 1], Gen.Double[0, 1], Gen.OneOf(Gen.Const(">"), Gen.Const(">="), Gen.Const("<"), Gen.Const("<=")))
            .Sample((values, a, b, op) =>
            {
                var (threshold, recovery) = op is ">" or ">=" ? (Math.Max(a, b), Math.Min(a, b)) : (Math.Min(a, b), Math.Max(a, b));
                var condition = Condition(op, threshold, recovery);
                var timing = new AlertTiming(TimeSpan.Zero);
                OpenAlert? open = null;
                for (var i = 0; i < values.Length; i++)
                {
                    var now = T0.AddMinutes(i);
                    var transition = AlertStateMachine.Next(open, GroupReadings.Of(condition, values[i], 100, silent: false), now, timing);
                    if (transition == AlertTransition.StartFiring) { Assert.True(AlertStateMachine.Compare(values[i], op, threshold)); open = new OpenAlert(Guid.Empty, AlertState.Firing, now); }
                    else if (transition == AlertTransition.Resolve) { Assert.True(AlertStateMachine.Recovered(values[i], op, recovery)); open = null; }
                    else Assert.Equal(AlertTransition.None, transition);
                    // Whatever the value, an open alert is open exactly while it has not gone past the recovery threshold since it fired.
                    Assert.Equal(open is not null, open is not null && !AlertStateMachine.Recovered(values[i], op, recovery) || AlertStateMachine.Compare(values[i], op, threshold));
                }
            });
    }

    [Fact]
    public void Property_keep_firing_for_resolves_exactly_when_the_condition_stayed_clear_that_long()
    {
        var readings = Gen.OneOf(Gen.Const(GroupReading.Met), Gen.Const(GroupReading.Held), Gen.Const(GroupReading.Cleared));
        Gen.Select(readings.Array[1, 80], Gen.Int[0, 12]).Sample((sequence, keepMinutes) =>
        {
            var keep = TimeSpan.FromMinutes(keepMinutes);
            var timing = new AlertTiming(TimeSpan.Zero, keep);
            OpenAlert? open = null;
            DateTimeOffset? clearSince = null; // the model: first clear reading since the last met one, while open
            var firings = 0;
            for (var i = 0; i < sequence.Length; i++)
            {
                var now = T0.AddMinutes(i);
                var transition = AlertStateMachine.Next(open, sequence[i], now, timing);
                if (open is not null && sequence[i] == GroupReading.Met) clearSince = null;
                if (open is not null && sequence[i] == GroupReading.Cleared) clearSince ??= now;
                var due = open is not null && sequence[i] == GroupReading.Cleared && now - clearSince >= keep;
                Assert.Equal(due, transition == AlertTransition.Resolve);
                switch (transition)
                {
                    case AlertTransition.StartFiring: firings++; open = new OpenAlert(Guid.Empty, AlertState.Firing, now); break;
                    case AlertTransition.StartClearing: open = open! with { ClearedAt = now }; break;
                    case AlertTransition.StopClearing: open = open! with { ClearedAt = null }; break;
                    case AlertTransition.Resolve: open = null; clearSince = null; break;
                }
                Assert.Equal(clearSince is not null && keep > TimeSpan.Zero ? clearSince : null, open?.ClearedAt);
            }
            // One alert per episode: a condition returning within keepFiringFor opens no second alert.
            Assert.True(firings <= sequence.Count(r => r == GroupReading.Met));
        });
    }
    [Fact]
    public void Known_groups_without_data_are_decided_on_only_when_the_answer_was_not_cut_and_at_most_the_bound_of_them()
    {
        var answer = new List<GroupValue> { new("consumerId=a", 0.1, 10), new("consumerId=b", 0.1, 5) };
        var known = new[] { "consumerId=a", "consumerId=gone", "consumerId=open", "consumerId=quiet" };
        var selection = RuleGroupSelection.From(answer, ["consumerId=open"], bound: 3, known);
        Assert.Equal(["consumerId=open", "consumerId=gone", "consumerId=quiet"], selection.WithoutData);

        // Cut by the bound: a known group missing may just have had less traffic than the last one kept.
        var cut = RuleGroupSelection.From(answer, ["consumerId=open"], bound: 1, known);
        Assert.True(cut.LimitHit);
        Assert.Equal(["consumerId=open"], cut.WithoutData);

        // Never more known groups than the bound.
        Assert.Equal(2, RuleGroupSelection.From([], [], bound: 2, known).WithoutData.Count);
    }
}
