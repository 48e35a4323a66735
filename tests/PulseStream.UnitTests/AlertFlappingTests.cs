using PulseStream.Alerting;

namespace PulseStream.UnitTests;

/// <summary>
/// Flap detection's counting and states (<see cref="AlertFlapping"/>), driven as evaluation drives it: one step per
/// evaluation, the open alert and the flap state carried from one to the next as the store would.
/// </summary>
public class AlertFlappingTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly AlertTiming NoFor = new(TimeSpan.Zero);
    private static readonly FlapSettings ThreeIn30m = new(3, "30m");

    /// <summary>A group's open alert and flap state across evaluations, updated as the evaluator writes them.</summary>
    private sealed class Group(FlapSettings? settings, AlertTiming? timing = null)
    {
        public OpenAlert? Alert;
        public FlapHistory History = FlapHistory.Empty;
        public int Opened, Resolved;
        public List<FlapStep> Steps { get; } = [];

        public FlapStep Step(DateTimeOffset at, GroupReading reading)
        {
            var step = AlertFlapping.Next(Alert, History, reading, at, timing ?? NoFor, settings);
            Steps.Add(step);
            History = step.History;
            var flappingSince = step.Mark switch { FlapMark.Start => at, FlapMark.Stop => (DateTimeOffset?)null, _ => Alert?.FlappingSince };
            Alert = step.Transition switch
            {
                AlertTransition.StartFiring => Open(at, AlertState.Firing, flappingSince),
                AlertTransition.StartPending => Open(at, AlertState.Pending, flappingSince),
                AlertTransition.Fire => Alert! with { State = AlertState.Firing, FlappingSince = flappingSince },
                AlertTransition.Resolve or AlertTransition.DropPending => Close(step.Transition),
                AlertTransition.StartClearing => Alert! with { ClearedAt = at },
                AlertTransition.StopClearing => Alert! with { ClearedAt = null },
                AlertTransition.StartFlapping => Alert! with { FlappingSince = flappingSince, ClearedAt = null },
                AlertTransition.StopFlapping => Alert! with { FlappingSince = null },
                _ => Alert,
            };
            return step;
        }

        private OpenAlert Open(DateTimeOffset at, AlertState state, DateTimeOffset? flappingSince)
        {
            if (state == AlertState.Firing) Opened++;
            return new OpenAlert(Guid.NewGuid(), state, at, FlappingSince: flappingSince);
        }

        private OpenAlert? Close(AlertTransition transition)
        {
            if (transition == AlertTransition.Resolve) Resolved++;
            return null;
        }

        /// <summary>Alternates met and cleared readings one minute apart from <paramref name="from"/>, <paramref name="count"/> of them, met first.</summary>
        public DateTimeOffset Oscillate(DateTimeOffset from, int count)
        {
            for (var i = 0; i < count; i++) Step(from.AddMinutes(i), i % 2 == 0 ? GroupReading.Met : GroupReading.Cleared);
            return from.AddMinutes(count);
        }
    }

    [Fact]
    public void Without_flap_detection_every_change_opens_or_resolves_an_alert()
    {
        var group = new Group(null);
        group.Oscillate(T0, 8);
        Assert.Equal((4, 4), (group.Opened, group.Resolved));
        Assert.All(group.Steps, s => Assert.Equal(FlapMark.None, s.Mark));
    }

    [Fact]
    public void The_change_that_makes_more_than_the_allowed_changes_within_the_span_marks_the_alert_flapping_instead_of_resolving_it()
    {
        var group = new Group(ThreeIn30m);
        // Fire, resolve, fire: three changes, allowed. The fourth (a resolve) is one too many: the alert stays open.
        group.Oscillate(T0, 4);
        Assert.Equal((2, 1), (group.Opened, group.Resolved));
        var start = group.Steps[^1];
        Assert.Equal((AlertTransition.StartFlapping, FlapMark.Start), (start.Transition, start.Mark));
        Assert.Contains("changed state 4 times within 30m", start.Note);
        Assert.NotNull(group.Alert);
        Assert.Equal(T0.AddMinutes(3), group.Alert!.FlappingSince);
        Assert.False(group.History.UnderneathFiring);
    }

    [Fact]
    public void A_fire_that_is_one_change_too_many_opens_the_alert_already_flapping()
    {
        var group = new Group(new FlapSettings(2, "30m"));
        group.Oscillate(T0, 3);
        var start = group.Steps[^1];
        Assert.Equal((AlertTransition.StartFiring, FlapMark.Start), (start.Transition, start.Mark));
        Assert.Equal(T0.AddMinutes(2), group.Alert!.FlappingSince);
        Assert.True(group.History.UnderneathFiring);
    }

    [Fact]
    public void Changes_spread_wider_than_the_span_never_make_a_group_flapping()
    {
        var group = new Group(ThreeIn30m);
        for (var i = 0; i < 12; i++) group.Step(T0.AddMinutes(11 * i), i % 2 == 0 ? GroupReading.Met : GroupReading.Cleared);
        Assert.All(group.Steps, s => Assert.Equal(FlapMark.None, s.Mark));
        Assert.Equal((6, 6), (group.Opened, group.Resolved));
        Assert.True(group.History.Changes.Count <= 3, "only the changes within the span are kept");
    }

    [Fact]
    public void A_flapping_alert_stays_one_open_alert_through_further_flaps_and_counts_them()
    {
        var group = new Group(ThreeIn30m);
        var next = group.Oscillate(T0, 4);
        var alert = group.Alert!.Id;
        group.Oscillate(next, 20);
        Assert.Equal((2, 1), (group.Opened, group.Resolved));
        Assert.Equal(alert, group.Alert!.Id);
        Assert.NotNull(group.Alert.FlappingSince);
        Assert.Equal(20, group.History.FlappingChanges);
        Assert.All(group.Steps.Skip(4), s => Assert.Equal(FlapMark.None, s.Mark));
        Assert.True(group.History.Changes.Count <= ThreeIn30m.Changes + 1, "the stored changes are bounded");
    }

    [Fact]
    public void A_flapping_alert_whose_condition_stays_clear_for_the_span_resolves_once_with_a_summary()
    {
        var group = new Group(ThreeIn30m);
        var next = group.Oscillate(T0, 6); // ends cleared underneath
        var lastChange = next.AddMinutes(-1);
        Assert.Equal(AlertTransition.None, group.Step(lastChange.AddMinutes(29), GroupReading.Cleared).Transition);
        Assert.NotNull(group.Alert);
        var stop = group.Step(lastChange.AddMinutes(30), GroupReading.Cleared);
        Assert.Equal((AlertTransition.Resolve, FlapMark.Stop), (stop.Transition, stop.Mark));
        Assert.Contains("changed state 2 more times while flapping", stop.Note);
        Assert.Contains("it resolves", stop.Note);
        Assert.Null(group.Alert);
        Assert.Equal(2, group.Resolved);
    }

    [Fact]
    public void A_flapping_alert_whose_condition_stays_met_for_the_span_goes_on_firing_as_an_ordinary_alert()
    {
        var group = new Group(ThreeIn30m);
        var next = group.Oscillate(T0, 5); // ends firing underneath
        var alert = group.Alert!.Id;
        var stop = group.Step(next.AddMinutes(29), GroupReading.Met);
        Assert.Equal((AlertTransition.StopFlapping, FlapMark.Stop), (stop.Transition, stop.Mark));
        Assert.Contains("goes on firing", stop.Note);
        Assert.Equal(alert, group.Alert!.Id);
        Assert.Null(group.Alert.FlappingSince);
        Assert.Equal(AlertState.Firing, group.Alert.State);
        // An ordinary alert again: the next clear resolves it.
        Assert.Equal(AlertTransition.Resolve, group.Step(next.AddMinutes(30), GroupReading.Cleared).Transition);
    }

    [Fact]
    public void Underneath_a_flapping_alert_for_and_the_recovery_threshold_still_decide_the_changes()
    {
        var group = new Group(ThreeIn30m, new AlertTiming(TimeSpan.FromMinutes(2)));
        // With for 2m: met for two minutes before each fire.
        var at = T0;
        foreach (var reading in new[] { GroupReading.Met, GroupReading.Met, GroupReading.Met, GroupReading.Cleared, GroupReading.Met, GroupReading.Met,
                     GroupReading.Met, GroupReading.Cleared })
        {
            group.Step(at, reading);
            at = at.AddMinutes(1);
        }
        Assert.NotNull(group.Alert!.FlappingSince);
        var counted = group.History.FlappingChanges;
        // A met reading underneath waits for `for`: a single one is no change.
        group.Step(at, GroupReading.Met);
        group.Step(at.AddMinutes(1), GroupReading.Cleared);
        Assert.Equal(counted, group.History.FlappingChanges);
        Assert.Null(group.History.PendingSince);
        // Held (between the thresholds) while firing underneath is no change either.
        group.Step(at.AddMinutes(2), GroupReading.Met);
        group.Step(at.AddMinutes(4), GroupReading.Met);
        Assert.Equal(counted + 1, group.History.FlappingChanges);
        group.Step(at.AddMinutes(5), GroupReading.Held);
        Assert.Equal(counted + 1, group.History.FlappingChanges);
        Assert.True(group.History.UnderneathFiring);
    }

    [Fact]
    public void Turning_detection_off_ends_the_flapping_of_an_open_alert()
    {
        var group = new Group(ThreeIn30m);
        var next = group.Oscillate(T0, 5);
        var step = AlertFlapping.Next(group.Alert, group.History, GroupReading.Met, next, NoFor, null);
        Assert.Equal((AlertTransition.StopFlapping, FlapMark.Stop), (step.Transition, step.Mark));
        step = AlertFlapping.Next(group.Alert, group.History, GroupReading.Cleared, next, NoFor, null);
        Assert.Equal((AlertTransition.Resolve, FlapMark.Stop), (step.Transition, step.Mark));
    }

    [Fact]
    public void The_start_of_flapping_notifies_alert_flapping_and_everything_else_its_state()
    {
        var view = new AlertView(Guid.NewGuid(), Guid.NewGuid(), "r", "firing", "critical", T0, 1, "");
        Assert.Equal("alert.firing", AlertFlapping.EventType(view));
        Assert.Equal("alert.firing", AlertFlapping.EventType(view with { Flapping = true, FlappingSince = T0 }));
        Assert.Equal("alert.flapping", AlertFlapping.EventType(view with { Flapping = true, FlappingSince = T0, FlappingStarted = true }));
        Assert.Equal("alert.resolved", AlertFlapping.EventType(view with { State = "resolved" }));
    }

    [Theory]
    [InlineData(1, "30m", "flapDetection.changes")]
    [InlineData(101, "30m", "flapDetection.changes")]
    [InlineData(4, "30s", "flapDetection.within")]
    [InlineData(4, "25h", "flapDetection.within")]
    [InlineData(4, "soon", "flapDetection.within")]
    public void Flap_detection_outside_its_limits_is_refused_with_a_field_error(int changes, string within, string field)
    {
        var rule = new AlertRuleBody("r", true, "info", new RuleCondition("threshold", "error_rate", ">", 0.5, "5m"), "0s", null, null,
            FlapDetection: new FlapSettings(changes, within));
        Assert.Equal(field, Assert.Single(AlertRuleValidator.Validate(rule)).Field);
        Assert.Empty(AlertRuleValidator.Validate(rule with { FlapDetection = new FlapSettings(4, "30m") }));
        Assert.Empty(AlertRuleValidator.Validate(rule with { FlapDetection = null }));
    }
}
