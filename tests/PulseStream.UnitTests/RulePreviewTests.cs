using System.Text.Json;
using PulseStream.Alerting;
using PulseStream.Http;
using PulseStream.Metrics;

namespace PulseStream.UnitTests;

/// <summary>The preview's sliding windows give what merging each window's minutes would, and its intervals follow the state machine.</summary>
public class RulePreviewTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static AlertRule Rule(string metric, string op, double threshold, string window, string @for, int? minRequests = null) =>
        new(Guid.Empty, JsonSerializer.Deserialize<AlertRuleBody>($$$"""
            {"name":"r","enabled":true,"severity":"info","for":"{{{@for}}}",
             "condition":{"type":"threshold","metric":"{{{metric}}}","operator":"{{{op}}}","threshold":{{{threshold}}},"window":"{{{window}}}","minRequests":{{{(minRequests?.ToString() ?? "null")}}}}}
            """, Json.Options)!, default, default);

    [Theory]
    [InlineData("latency_p50")]
    [InlineData("latency_p95")]
    [InlineData("latency_p99")]
    [InlineData("latency_avg")]
    [InlineData("error_rate")]
    [InlineData("client_error_rate")]
    [InlineData("request_count")]
    public void Every_point_equals_the_metric_of_its_window_s_minutes_merged(string metric)
    {
        var random = new Random(7);
        var minutes = new Dictionary<DateTimeOffset, RollupCell>();
        for (var m = 0; m < 180; m++)
        {
            if (random.Next(5) == 0) continue; // some minutes without traffic
            var cell = new RollupCell();
            for (var i = random.Next(1, 30); i > 0; i--)
            {
                var latency = random.Next(10) == 0 ? 0 : Math.Exp(random.NextDouble() * 8);
                cell.Requests++;
                cell.StatusClasses[random.Next(10) switch { 0 => 4, 1 => 3, _ => 1 }]++;
                cell.LatencySum += latency;
                cell.Histogram.Add(latency);
            }
            minutes[T0.AddMinutes(m)] = cell;
        }
        var rule = Rule(metric, ">", 0, "15m", "0s");
        var times = Enumerable.Range(15, 166).Select(m => T0.AddMinutes(m)).ToList();

        var group = RulePreview.Evaluate("", rule, T0, minutes, times);

        foreach (var point in group.Points)
        {
            var merged = new RollupCell();
            for (var t = point.Ts.AddMinutes(-15); t < point.Ts; t = t.AddMinutes(1))
                if (minutes.TryGetValue(t, out var cell)) merged.Merge(cell);
            var expected = merged.Requests == 0 ? null : MetricValue.Of(metric, merged);
            if (expected is null) Assert.Null(point.Value);
            else Assert.Equal(expected.Value, point.Value!.Value, 6);
        }
    }

    [Fact]
    public void Intervals_follow_the_state_machine_with_for_and_min_requests()
    {
        // 10 requests a minute; minutes 10-19 all fail, minute 30 fails but with only 2 requests.
        var minutes = new Dictionary<DateTimeOffset, RollupCell>();
        for (var m = 0; m < 40; m++)
        {
            var cell = new RollupCell { Requests = m == 30 ? 2 : 10, LatencySum = 10 };
            cell.StatusClasses[m is >= 10 and < 20 or 30 ? 4 : 1] = cell.Requests;
            minutes[T0.AddMinutes(m)] = cell;
        }
        var times = Enumerable.Range(1, 45).Select(m => T0.AddMinutes(m)).ToList();

        // Window 1m: met at ts 11..20 and 31 (the window [ts − 1m, ts)).
        var withFor = RulePreview.Evaluate("", Rule("error_rate", ">=", 1, "1m", "3m"), T0, minutes, times);
        Assert.Equal(
            [new PreviewInterval("pending", T0.AddMinutes(11), T0.AddMinutes(14), false), new PreviewInterval("firing", T0.AddMinutes(14), T0.AddMinutes(21), false),
             new PreviewInterval("pending", T0.AddMinutes(31), T0.AddMinutes(32), false)],
            withFor.Intervals);
        var minRequests = RulePreview.Evaluate("", Rule("error_rate", ">=", 1, "1m", "0s", minRequests: 5), T0, minutes, times);
        Assert.Equal([new PreviewInterval("firing", T0.AddMinutes(11), T0.AddMinutes(21), false)], minRequests.Intervals);

        // Still met at the end: ongoing, up to the last evaluation; no requests: no value, but a request count of 0 for
        // a group that had traffic, which a request_count < N rule goes on firing on.
        var ongoing = RulePreview.Evaluate("", Rule("request_count", "<", 100, "1m", "0s"), T0, minutes, times);
        Assert.Equal([new PreviewInterval("firing", T0.AddMinutes(1), T0.AddMinutes(45), true)], ongoing.Intervals);
        Assert.Null(ongoing.Points[^1].Value);
        var always = RulePreview.Evaluate("", Rule("request_count", "<", 100, "1m", "0s"), T0, minutes, times.Take(20).ToList());
        Assert.Equal([new PreviewInterval("firing", T0.AddMinutes(1), T0.AddMinutes(20), true)], always.Intervals);
    }
}
