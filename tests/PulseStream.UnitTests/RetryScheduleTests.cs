using PulseStream.Notifications.Deliveries;

namespace PulseStream.UnitTests;

public class RetryScheduleTests
{
    private static readonly DeliveryOptions Defaults = new();

    [Fact]
    public void The_default_schedule_makes_at_least_eight_attempts_over_about_a_day()
    {
        Assert.True(Defaults.MaxAttempts >= 8);
        var waits = RetrySchedule.Waits(Defaults);
        Assert.Equal(Defaults.MaxAttempts - 1, waits.Count);
        var total = waits.Aggregate(TimeSpan.Zero, (sum, w) => sum + w);
        Assert.InRange(total, TimeSpan.FromHours(20), TimeSpan.FromHours(30));
        // Even at the jitter's extremes the schedule spans most of a day.
        var shortest = Enumerable.Range(1, Defaults.MaxAttempts - 1).Aggregate(TimeSpan.Zero, (sum, n) => sum + RetrySchedule.DelayAfter(n, Defaults, 0));
        var longest = Enumerable.Range(1, Defaults.MaxAttempts - 1).Aggregate(TimeSpan.Zero, (sum, n) => sum + RetrySchedule.DelayAfter(n, Defaults, 0.999999));
        Assert.InRange(shortest, TimeSpan.FromHours(18), total);
        Assert.InRange(longest, total, TimeSpan.FromHours(30));
    }

    [Fact]
    public void Waits_grow_by_the_factor_from_the_first_and_stop_at_the_cap()
    {
        var waits = RetrySchedule.Waits(Defaults);
        Assert.Equal(TimeSpan.FromSeconds(15), waits[0]);
        Assert.Equal(TimeSpan.FromSeconds(45), waits[1]);
        for (var i = 1; i < waits.Count; i++)
            Assert.True(waits[i] >= waits[i - 1], $"wait {i} is shorter than wait {i - 1}");
        Assert.Equal(Defaults.MaxRetryDelay, waits[^1]);
    }

    [Fact]
    public void Jitter_spreads_the_same_retry_of_many_deliveries_within_its_bounds()
    {
        var random = new Random(7);
        var samples = Enumerable.Range(0, 1000).Select(_ => RetrySchedule.DelayAfter(4, Defaults, random.NextDouble())).ToList();
        var middle = RetrySchedule.DelayAfter(4, Defaults, 0.5);
        Assert.All(samples, s => Assert.InRange(s, middle * 0.8, middle * 1.2));
        Assert.True(samples.Distinct().Count() > 900);
        Assert.True(samples.Count(s => s < middle) > 400 && samples.Count(s => s > middle) > 400);
    }
}
