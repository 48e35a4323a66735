using System.Text.Json;
using PulseStream.Alerting;
using PulseStream.Http;
using PulseStream.Metrics;

namespace PulseStream.UnitTests;

/// <summary>The preview decides hysteresis, <c>keepFiringFor</c> and no data as live evaluation does.</summary>
public class RulePreviewFlapTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static AlertRule Rule(string extra, string condition = "") =>
        new(Guid.Empty, JsonSerializer.Deserialize<AlertRuleBody>($$$"""
            {"name":"r","enabled":true,"severity":"info","for":"0s",{{{extra}}}
             "condition":{"type":"threshold","metric":"error_rate","operator":">","threshold":0.5,"window":"1m"{{{condition}}}}}
            """, Json.Options)!, default, default);

    /// <summary>10 requests a minute over minutes [0, <paramref name="until"/>), the fraction failing each minute as <paramref name="failing"/> says.</summary>
    private static Dictionary<DateTimeOffset, RollupCell> Minutes(int until, Func<int, int> failing)
    {
        var minutes = new Dictionary<DateTimeOffset, RollupCell>();
        for (var m = 0; m < until; m++)
        {
            var cell = new RollupCell { Requests = 10, LatencySum = 10 };
            cell.StatusClasses[4] = failing(m);
            cell.StatusClasses[1] = 10 - failing(m);
            minutes[T0.AddMinutes(m)] = cell;
        }
        return minutes;
    }

    private static List<DateTimeOffset> Times(int to) => Enumerable.Range(1, to).Select(m => T0.AddMinutes(m)).ToList();

    [Fact]
    public void With_a_recovery_threshold_the_preview_stays_firing_between_the_thresholds()
    {
        // Minutes 5-9 fail 8 in 10, 10-14 3 in 10 (between 0.2 and 0.5), then 1 in 10 (below 0.2).
        var minutes = Minutes(30, m => m switch { >= 5 and < 10 => 8, >= 10 and < 15 => 3, _ => 1 });
        var plain = RulePreview.Evaluate("", Rule(""), T0, minutes, Times(30));
        Assert.Equal([new PreviewInterval("firing", T0.AddMinutes(6), T0.AddMinutes(11), false)], plain.Intervals);
        var hysteresis = RulePreview.Evaluate("", Rule("", ""","recoveryThreshold":0.2"""), T0, minutes, Times(30));
        Assert.Equal([new PreviewInterval("firing", T0.AddMinutes(6), T0.AddMinutes(16), false)], hysteresis.Intervals);
    }

    [Fact]
    public void Keep_firing_for_holds_the_preview_firing_across_a_short_clear_and_ends_it_that_long_after_the_last()
    {
        // Failing at minutes 5-9, clear 10-11, failing again 12-14, then clear.
        var minutes = Minutes(40, m => m is >= 5 and < 10 or >= 12 and < 15 ? 8 : 0);
        var plain = RulePreview.Evaluate("", Rule(""), T0, minutes, Times(40));
        Assert.Equal(2, plain.Intervals.Count);
        var kept = RulePreview.Evaluate("", Rule("\"keepFiringFor\":\"5m\","), T0, minutes, Times(40));
        // One interval: cleared at ts 11 and 12 (reset when ts 13 is met again), cleared from ts 16, resolved at ts 21.
        Assert.Equal([new PreviewInterval("firing", T0.AddMinutes(6), T0.AddMinutes(21), false)], kept.Intervals);
    }

    [Fact]
    public void A_group_that_goes_silent_fires_a_no_data_alerting_rule_after_no_data_for_and_keep_state_holds_an_alert()
    {
        // Healthy until minute 10, then silent.
        var healthy = Minutes(10, _ => 0);
        var alerting = RulePreview.Evaluate("", Rule("\"noData\":\"alerting\",\"noDataFor\":\"3m\","), T0, healthy, Times(30));
        // The window is empty from ts 11; silent for 3 minutes at ts 13; known while it is open.
        Assert.Equal([new PreviewInterval("firing", T0.AddMinutes(13), T0.AddMinutes(30), true)], alerting.Intervals);
        // Silent for longer than twice noDataFor before the range: no longer known, nothing fires.
        Assert.Empty(RulePreview.Evaluate("", Rule("\"noData\":\"alerting\",\"noDataFor\":\"3m\","), T0, healthy, Times(30).Skip(16).ToList()).Intervals);

        // Failing until minute 10, then silent: ok resolves once the window is empty, keepState keeps it firing.
        var failing = Minutes(10, _ => 8);
        Assert.Equal([new PreviewInterval("firing", T0.AddMinutes(1), T0.AddMinutes(11), false)], RulePreview.Evaluate("", Rule(""), T0, failing, Times(30)).Intervals);
        Assert.Equal([new PreviewInterval("firing", T0.AddMinutes(1), T0.AddMinutes(30), true)],
            RulePreview.Evaluate("", Rule("\"noData\":\"keepState\","), T0, failing, Times(30)).Intervals);
        // ok with a longer noDataFor: it waits that long before resolving.
        Assert.Equal([new PreviewInterval("firing", T0.AddMinutes(1), T0.AddMinutes(15), false)],
            RulePreview.Evaluate("", Rule("\"noDataFor\":\"5m\","), T0, failing, Times(30)).Intervals);
    }

    [Fact]
    public void A_flapping_group_shows_one_firing_interval_held_open_and_its_flapping_interval_until_quiet_for_the_span()
    {
        // Minutes 0-7 alternate failing all and none, then none fail: the 1-minute window fires, clears, fires, clears
        // (the fourth change, one more than 3 within 30m: flapping), flaps on to minute 8, and is quiet from then.
        var minutes = Minutes(45, m => m < 8 && m % 2 == 0 ? 10 : 0);
        var plain = RulePreview.Evaluate("", Rule(""), T0, minutes, Times(45));
        Assert.Equal(4, plain.Intervals.Count);
        var flapping = RulePreview.Evaluate("", Rule("\"flapDetection\":{\"changes\":3,\"within\":\"30m\"},"), T0, minutes, Times(45));
        Assert.Equal([
            new PreviewInterval("firing", T0.AddMinutes(1), T0.AddMinutes(2), false),
            new PreviewInterval("firing", T0.AddMinutes(3), T0.AddMinutes(38), false),
            new PreviewInterval("flapping", T0.AddMinutes(4), T0.AddMinutes(38), false),
        ], flapping.Intervals);
    }
}
