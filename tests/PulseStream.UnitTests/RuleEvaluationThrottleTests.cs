using PulseStream.Alerting;

namespace PulseStream.UnitTests;

public class RuleEvaluationThrottleTests
{
    private sealed class ManualClock(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;
        public override DateTimeOffset GetUtcNow() => Now;
    }

    [Fact]
    public void Each_tenant_is_due_at_most_once_per_interval_and_tenants_do_not_hold_each_other_back()
    {
        var clock = new ManualClock(new DateTimeOffset(2026, 11, 26, 0, 0, 0, TimeSpan.Zero));
        var throttle = new RuleEvaluationThrottle(clock);
        Guid busy = Guid.NewGuid(), quiet = Guid.NewGuid();

        Assert.Equal([busy], throttle.Due([busy]));
        clock.Now += TimeSpan.FromMilliseconds(300);
        Assert.Equal([quiet], throttle.Due([busy, quiet]));
        clock.Now += TimeSpan.FromMilliseconds(600);
        Assert.Empty(throttle.Due([busy, quiet]));
        clock.Now += TimeSpan.FromMilliseconds(100);
        Assert.Equal([busy], throttle.Due([busy, quiet]));
        clock.Now += RuleEvaluationThrottle.Interval;
        Assert.Equal([busy, quiet], throttle.Due([busy, quiet]));
    }
}
