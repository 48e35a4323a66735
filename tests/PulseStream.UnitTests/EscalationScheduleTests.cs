using PulseStream.Alerting.Escalation;

namespace PulseStream.UnitTests;

public class EscalationScheduleTests
{
    private static readonly DateTimeOffset Fired = new(2026, 12, 1, 10, 0, 0, TimeSpan.Zero);

    private static EscalationPolicyBody Policy(int? repeat = 0, string? ackTimeout = null) => new("On-call",
        [new EscalationStep("5m", [Guid.NewGuid()], []), new EscalationStep("10m", [], [Guid.NewGuid()])], repeat, ackTimeout);

    private static DateTimeOffset At(int minutes) => Fired.AddMinutes(minutes);

    [Fact]
    public void Each_step_is_due_its_delay_after_the_step_before_and_the_first_after_firing()
    {
        var plan = EscalationSchedule.Plan(Policy(), Fired);
        Assert.Equal([new(0, 0, At(5)), new(0, 1, At(15))], plan);
    }

    [Fact]
    public void Repeat_runs_the_whole_policy_again_after_its_last_step_that_many_times()
    {
        var plan = EscalationSchedule.Plan(Policy(repeat: 2), Fired);
        Assert.Equal([new(0, 0, At(5)), new(0, 1, At(15)), new(1, 0, At(20)), new(1, 1, At(30)), new(2, 0, At(35)), new(2, 1, At(45))], plan);
        Assert.Null(EscalationSchedule.After(Policy(repeat: 2), plan[^1]));
        Assert.Equal(plan[1], EscalationSchedule.After(Policy(repeat: 2), plan[0]));
    }

    [Fact]
    public void Only_steps_whose_instant_has_come_are_due_and_the_instant_itself_counts()
    {
        Assert.Empty(EscalationSchedule.DueBy(Policy(), Fired, At(4)));
        Assert.Equal([new EscalationPosition(0, 0, At(5))], EscalationSchedule.DueBy(Policy(), Fired, At(5)));
        Assert.Equal(2, EscalationSchedule.DueBy(Policy(repeat: 1), Fired, At(19)).Count);
        Assert.Equal(4, EscalationSchedule.DueBy(Policy(repeat: 1), Fired, At(600)).Count);
    }

    [Fact]
    public void The_ack_timeout_retriggers_an_acknowledged_alert_and_the_run_starts_again_from_the_first_step()
    {
        var policy = Policy(ackTimeout: "30m");
        Assert.Equal(At(37), EscalationSchedule.ReTriggerAt(policy, At(7)));
        // Acknowledged at 7m: nothing is due while the ack holds, and the run restarts at 37m.
        Assert.Null(EscalationSchedule.RunStartedAt(policy, Fired, [At(7)], At(36)));
        var restart = EscalationSchedule.RunStartedAt(policy, Fired, [At(7)], At(40));
        Assert.Equal(At(37), restart);
        Assert.Equal([new(0, 0, At(42)), new(0, 1, At(52))], EscalationSchedule.Plan(policy, restart!.Value));
        // Acknowledged again at 45m, re-triggered at 75m.
        Assert.Equal(At(75), EscalationSchedule.RunStartedAt(policy, Fired, [At(45), At(7)], At(80)));
    }

    [Fact]
    public void Without_an_ack_timeout_an_acknowledgement_stops_the_run_for_good()
    {
        var policy = Policy(ackTimeout: null);
        Assert.Null(EscalationSchedule.ReTriggerAt(policy, At(7)));
        Assert.Null(EscalationSchedule.RunStartedAt(policy, Fired, [At(7)], At(10_000)));
        Assert.Equal(Fired, EscalationSchedule.RunStartedAt(policy, Fired, [], At(10_000)));
    }

    [Fact]
    public void A_host_with_a_shorter_minute_runs_the_same_schedule_in_its_minutes()
    {
        var policy = Policy(repeat: 1, ackTimeout: "30m");
        var second = TimeSpan.FromSeconds(1);
        var first = EscalationSchedule.First(policy, Fired, second);
        Assert.Equal(new EscalationPosition(0, 0, Fired.AddSeconds(5)), first);
        Assert.Equal(new EscalationPosition(0, 1, Fired.AddSeconds(15)), EscalationSchedule.After(policy, first, second));
        Assert.Equal(TimeSpan.FromSeconds(30), EscalationSchedule.AckTimeoutOf(policy, second));
        Assert.Equal(TimeSpan.FromMinutes(30), EscalationSchedule.AckTimeoutOf(policy));
        Assert.Null(EscalationSchedule.AckTimeoutOf(Policy(ackTimeout: null), second));
        Assert.Equal(Fired.AddSeconds(37), EscalationSchedule.ReTriggerAt(policy, Fired.AddSeconds(7), second));
    }
}
