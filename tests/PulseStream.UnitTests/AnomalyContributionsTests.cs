using PulseStream.Anomalies;

namespace PulseStream.UnitTests;

/// <summary>
/// How an anomaly's change splits over routes and consumers: the parts of a dimension add up to the change exactly,
/// only those that moved the figure the way it went are kept, most first, and what a dimension's values do not cover
/// (requests without a consumer) is a part of its own.
/// </summary>
public sealed class AnomalyContributionsTests
{
    private static readonly DateTimeOffset At = new(2026, 12, 3, 9, 40, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset[] ThreeDays = [At.AddDays(-1), At.AddDays(-2), At.AddDays(-3)];

    private static Dictionary<string, Dictionary<string, (Tally Now, Tally Before)>> Parts(string dimension, params (string Value, Tally Now, Tally Before)[] rows) =>
        new() { [dimension] = rows.ToDictionary(r => r.Value, r => (r.Now, r.Before)) };

    [Fact]
    public void An_error_rate_rise_from_one_route_is_all_that_route()
    {
        // Now 60 requests, 10 of them 5xx, all on /b; the three earlier windows had 180 requests and no errors.
        var parts = Parts("route", ("/a", new(20, 0), new(60, 0)), ("/b", new(20, 10), new(60, 0)), ("/c", new(20, 0), new(60, 0)));
        var (comparison, contributors) = AnomalyContributions.Rank("error_rate", ThreeDays, new(60, 10), new(180, 0), parts, up: true);

        Assert.Equal(("error_rate", 0.0, 0.166667, 0.166667), (comparison.Basis, comparison.Before, comparison.Now, comparison.Change));
        var only = Assert.Single(contributors);
        Assert.Equal(("route", "/b", 0.166667, 1.0), (only.Dimension, only.Value, only.Contribution, only.Share));
        Assert.Equal((0.5, 0.0, 20L, 20.0), (only.Now, only.Before, only.Requests, only.RequestsBefore));
    }

    [Fact]
    public void A_drop_in_requests_names_the_route_that_went_quiet_against_the_mean_of_the_earlier_windows()
    {
        var parts = Parts("route", ("/a", new(0, 0), new(90, 90)), ("/b", new(30, 30), new(90, 90)), ("/c", new(40, 40), new(90, 90)));
        var (comparison, contributors) = AnomalyContributions.Rank("request_count", ThreeDays, new(70, 70), new(270, 270), parts, up: false);

        Assert.Equal((90.0, 70.0, -20.0), (comparison.Before, comparison.Now, comparison.Change));
        // /c grew: it pulled the other way and is not listed. /a fell by 30, /b by nothing.
        var only = Assert.Single(contributors);
        Assert.Equal(("/a", -30.0, 1.5, 0.0, 30.0), (only.Value, only.Contribution, only.Share, only.Now, only.Before));
    }

    [Fact]
    public void Requests_without_a_consumer_are_a_part_of_their_own_and_the_parts_add_up_to_the_change()
    {
        // 100 requests now, 40 from consumers; the errors come from alice and from requests without a consumer.
        var parts = Parts("consumerId", ("alice", new(20, 8), new(60, 0)), ("bob", new(20, 0), new(60, 0)));
        var (comparison, contributors) = AnomalyContributions.Rank("error_rate", ThreeDays, new(100, 20), new(300, 3), parts, up: true);

        // Without a consumer: 12 of 60 failed now, 3 of 180 before: 0.12 − 0.01 of the change; alice: 0.08; bob: none.
        Assert.Equal(2, contributors.Count);
        Assert.Equal(((string?)null, 0.11, 0.2), (contributors[0].Value, contributors[0].Contribution, contributors[0].Now));
        Assert.Equal(("alice", 0.08), (contributors[1].Value, contributors[1].Contribution));
        Assert.Equal(0.19, comparison.Change, 6);
        Assert.Equal(comparison.Change, contributors.Sum(c => c.Contribution), 6);
    }

    [Fact]
    public void A_latency_percentile_is_explained_through_the_mean_latency_and_a_shift_of_traffic_to_a_slow_route_shows()
    {
        Assert.Equal("latency_avg", AnomalyContributions.BasisOf("latency_p95"));
        Assert.Equal("error_rate", AnomalyContributions.BasisOf("error_rate"));
        // /slow (500 ms) went from a tenth of the traffic to half of it; /fast stayed at 10 ms.
        var parts = Parts("route", ("/slow", new(50, 50 * 500), new(30, 30 * 500)), ("/fast", new(50, 50 * 10), new(270, 270 * 10)));
        var (comparison, contributors) = AnomalyContributions.Rank("latency_avg", ThreeDays, new(100, 50 * 510), new(300, 30 * 500 + 270 * 10), parts, up: true);

        Assert.Equal((59.0, 255.0), (comparison.Before, comparison.Now));
        var slow = Assert.Single(contributors);
        Assert.Equal(("/slow", 500.0, 500.0), (slow.Value, slow.Now, slow.Before));
        Assert.Equal(250 - 50, slow.Contribution, 6);
        Assert.True(slow.Share > 1, "the slow route's part is more than the change: the fast route's share pulled the mean the other way");
    }
}
