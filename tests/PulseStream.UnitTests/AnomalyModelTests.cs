using PulseStream.Anomalies;

namespace PulseStream.UnitTests;

/// <summary>
/// Seasonal baselines from hourly history: the warm-up (none, daily, weekly), the band around the hour's expected value,
/// the direction, the last day's level, and error rates whose sampling noise depends on the requests behind them.
/// </summary>
public sealed class AnomalyModelTests
{
    private static readonly DateTimeOffset Monday = new(2026, 11, 2, 0, 0, 0, TimeSpan.Zero);

    /// <summary>Hourly request counts for <paramref name="days"/> days before <paramref name="now"/>, from <paramref name="perHour"/>.</summary>
    private static List<HourSample> Requests(DateTimeOffset now, int days, Func<DateTimeOffset, long> perHour) =>
        Enumerable.Range(1, days * 24).Select(h => now.AddHours(-h)).Select(hour => new HourSample(hour, perHour(hour), perHour(hour))).ToList();

    /// <summary>Weekdays busy by day (600 an hour from 08:00 to 20:00, 60 at night), weekends at a tenth, with a little wobble.</summary>
    private static long Weekly(DateTimeOffset hour)
    {
        var day = hour.UtcDateTime.Hour is >= 8 and < 20 ? 600 : 60;
        var weekend = hour.UtcDateTime.DayOfWeek is DayOfWeek.Saturday or DayOfWeek.Sunday ? 0.1 : 1;
        return (long)(day * weekend * (1 + 0.05 * Math.Sin(hour.ToUnixTimeSeconds() / 3600.0)));
    }

    [Fact]
    public void A_group_warms_up_for_three_days_then_has_a_daily_baseline_and_after_three_weeks_a_weekly_one()
    {
        var now = Monday.AddDays(28).AddMinutes(30);
        Assert.Null(AnomalyModel.Build("request_count", [], now));
        var young = AnomalyModel.Build("request_count", Requests(now, 2, Weekly), now)!;
        Assert.Equal("none", young.Seasonality);
        Assert.Empty(young.Slots);
        Assert.Null(AnomalyModel.Judge(young, now, 10, 100, 100, "medium", "both"));
        Assert.Equal(now.AddHours(-48) + AnomalyModel.DailyWarmUp, AnomalyModel.ReadyAt(young.HistoryFrom).Daily);

        var daily = AnomalyModel.Build("request_count", Requests(now, 10, Weekly), now)!;
        Assert.Equal(AnomalyBaseline.Daily, daily.Seasonality);
        Assert.Equal(24, daily.Slots.Length);
        var weekly = AnomalyModel.Build("request_count", Requests(now, 28, Weekly), now)!;
        Assert.Equal(AnomalyBaseline.Weekly, weekly.Seasonality);
        Assert.Equal(168, weekly.Slots.Length);
        // History older than four weeks is not read.
        Assert.Equal(weekly.HistoryFrom, AnomalyModel.Build("request_count", Requests(now, 40, Weekly), now)!.HistoryFrom);
    }

    [Fact]
    public void The_usual_value_is_inside_the_band_and_a_spike_or_a_drop_is_outside_it_in_its_direction()
    {
        var now = Monday.AddDays(28).AddHours(14).AddMinutes(10);
        var baseline = AnomalyModel.Build("request_count", Requests(now, 28, Weekly), now)!;
        // Monday 14:00: about 600 an hour, so 100 in ten minutes.
        var usual = AnomalyModel.Judge(baseline, now, 10, 100, 100, "medium", "both")!;
        Assert.True(usual.Score < 1, $"{usual}");
        Assert.InRange(usual.Expected, 90, 110);
        Assert.True(usual.Lower < 100 && usual.Upper > 100);
        var spike = AnomalyModel.Judge(baseline, now, 10, 400, 400, "medium", "both")!;
        Assert.True(spike.Score >= 1 && spike.Sigmas > 0, $"{spike}");
        Assert.Equal(0, AnomalyModel.Judge(baseline, now, 10, 400, 400, "medium", "below")!.Score);
        var drop = AnomalyModel.Judge(baseline, now, 10, 10, 10, "medium", "below")!;
        Assert.True(drop.Score >= 1 && drop.Sigmas < 0, $"{drop}");
        // A higher sensitivity has a narrower band.
        Assert.True(AnomalyModel.Judge(baseline, now, 10, 100, 100, "high", "both")!.Upper < usual.Upper);
        Assert.True(AnomalyModel.Judge(baseline, now, 10, 100, 100, "low", "both")!.Upper > usual.Upper);
    }

    [Fact]
    public void A_weekly_baseline_knows_a_sunday_from_a_monday_where_a_daily_one_cannot()
    {
        var sunday = Monday.AddDays(27).AddHours(14).AddMinutes(10);
        var weekly = AnomalyModel.Build("request_count", Requests(sunday, 28, Weekly), sunday)!;
        // Monday's traffic on a Sunday afternoon: ten times the usual.
        Assert.True(AnomalyModel.Judge(weekly, sunday, 10, 100, 100, "medium", "both")!.Score >= 1);
        Assert.True(AnomalyModel.Judge(weekly, sunday, 10, 10, 10, "medium", "both")!.Score < 1);
    }

    [Fact]
    public void The_last_day_sets_the_level_so_a_trend_moves_the_band_with_it()
    {
        var now = Monday.AddDays(28).AddHours(14).AddMinutes(10);
        // Traffic doubled a day and a half ago and stayed.
        var doubled = AnomalyModel.Build("request_count", Requests(now, 28, h => Weekly(h) * (h >= now.AddHours(-36) ? 2 : 1)), now)!;
        var reading = AnomalyModel.Judge(doubled, now, 10, 200, 200, "medium", "both")!;
        Assert.True(reading.Score < 1, $"{reading}");
        Assert.InRange(reading.Expected, 170, 230);
    }

    [Fact]
    public void An_error_rate_that_is_usually_zero_tolerates_one_error_but_not_twenty_in_a_hundred()
    {
        var now = Monday.AddDays(28).AddHours(14).AddMinutes(10);
        var history = Enumerable.Range(1, 28 * 24).Select(h => new HourSample(now.AddHours(-h), 600, 0.0));
        var baseline = AnomalyModel.Build("error_rate", history, now)!;
        Assert.True(AnomalyModel.Judge(baseline, now, 10, 100, 0.01, "medium", "above")!.Score < 1);
        Assert.True(AnomalyModel.Judge(baseline, now, 10, 100, 0.2, "medium", "above")!.Score >= 1);
        // The same share from five requests is one error: not enough to say.
        Assert.True(AnomalyModel.Judge(baseline, now, 10, 5, 0.2, "medium", "above")!.Score < 1);
    }

    [Fact]
    public void Latency_baselines_skip_hours_without_requests_and_judge_on_a_log_scale()
    {
        var now = Monday.AddDays(28).AddHours(14).AddMinutes(10);
        var history = Enumerable.Range(1, 28 * 24).Select(h => now.AddHours(-h))
            .Select(hour => hour.UtcDateTime.Hour < 6 ? new HourSample(hour, 0, null) : new HourSample(hour, 600, 200 * (1 + 0.05 * Math.Sin(hour.Hour))));
        var baseline = AnomalyModel.Build("latency_p95", history, now)!;
        Assert.True(baseline.Slots.All(double.IsFinite));
        Assert.True(AnomalyModel.Judge(baseline, now, 10, 100, 210, "medium", "above")!.Score < 1);
        Assert.True(AnomalyModel.Judge(baseline, now, 10, 100, 600, "medium", "above")!.Score >= 1);
        // Hours never seen fall back to the whole history's middle.
        Assert.True(AnomalyModel.Judge(baseline, now.AddHours(-12), 10, 100, 205, "medium", "above")!.Score < 1);
    }
}
