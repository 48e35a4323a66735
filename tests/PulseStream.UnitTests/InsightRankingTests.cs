using PulseStream.Events;
using PulseStream.Insights;
using PulseStream.Metrics;

namespace PulseStream.UnitTests;

/// <summary>
/// The overview's insights: per metric, the routes and consumers whose own figure changed and moved the API's figure
/// most, in both directions, the exact split's terms; noise below the floor and parts that only moved with the traffic
/// mix are left out.
/// </summary>
public sealed class InsightRankingTests
{
    private static readonly DateTimeOffset At = new(2026, 12, 3, 9, 0, 0, TimeSpan.Zero);

    private static RollupCell Cell(int requests, int errors = 0, double latency = 20)
    {
        var cell = new RollupCell();
        for (var i = 0; i < requests; i++)
            cell.Add(new ApiEvent(null, At, "GET", "/", "/", i < errors ? 500 : 200, latency, null, null, null, "production", null));
        return cell;
    }

    private static InsightWindow Window(Dictionary<string, RollupCell> routes, Dictionary<string, RollupCell> consumers) => new(routes, consumers);

    // Three earlier days: /a (alice) and /b (bob), 60 requests each at 20 ms. Now /a takes 80 ms, bob's calls to /b all
    // fail, and /c (no consumer) is new with 60 requests.
    private static (List<InsightTotal> Totals, List<InsightChange> Changes) Scenario()
    {
        var before = Enumerable.Range(1, 3).Select(_ => Window(
            new() { ["GET /a"] = Cell(60), ["GET /b"] = Cell(60) },
            new() { ["alice"] = Cell(60), ["bob"] = Cell(60) })).ToList();
        var now = Window(
            new() { ["GET /a"] = Cell(60, latency: 80), ["GET /b"] = Cell(60, errors: 60), ["GET /c"] = Cell(60) },
            new() { ["alice"] = Cell(60, latency: 80), ["bob"] = Cell(60, errors: 60) });
        return InsightRanking.Rank([At.AddDays(-1), At.AddDays(-2), At.AddDays(-3)], now, before, perMetric: 5);
    }

    [Fact]
    public void The_api_totals_compare_the_mean_count_and_the_pooled_rates_of_the_earlier_days_with_now()
    {
        var (totals, _) = Scenario();
        Assert.Equal([("request_count", 120.0, 180.0, 60.0), ("error_rate", 0.0, 0.333333, 0.333333), ("latency_avg", 20.0, 40.0, 20.0)],
            totals.Select(t => (t.Metric, t.Before, t.Now, t.Change)));
    }

    [Fact]
    public void Each_metric_lists_the_routes_and_consumers_that_changed_it_with_their_own_figures()
    {
        var (_, changes) = Scenario();
        string Line(InsightChange c) => $"{c.Metric} {c.Dimension} {c.Method} {c.Value ?? "-"} {c.Before}->{c.Now} {c.Contribution} {c.Share}";
        Assert.Equal([
            "request_count consumerId  - 0->60 60 1",
            "request_count route GET /c 0->60 60 1",
            "error_rate consumerId  bob 0->1 0.333333 1",
            "error_rate route GET /b 0->1 0.333333 1",
            "latency_avg consumerId  alice 20->80 16.666667 0.833333",
            "latency_avg route GET /a 20->80 16.666667 0.833333",
            "latency_avg consumerId  - ->20 6.666667 0.333333",
            "latency_avg route GET /c ->20 6.666667 0.333333",
        ], changes.Select(Line));
        // /b and bob pulled the mean latency down by 3.3 ms only because the new traffic diluted them: their own
        // latency held at 20 ms, so they are no change of their own.
    }

    [Fact]
    public void Changes_below_the_floor_are_noise_and_the_largest_few_per_metric_stay()
    {
        // 20 routes, each a little busier than before (+1 request) and one much busier (+50).
        var before = Window(Enumerable.Range(0, 20).ToDictionary(i => $"GET /r{i}", _ => Cell(100)), []);
        var now = Window(Enumerable.Range(0, 20).ToDictionary(i => $"GET /r{i}", i => Cell(i == 7 ? 150 : 101)), []);
        var (_, changes) = InsightRanking.Rank([At.AddDays(-1)], now, [before], perMetric: 5);

        // No request had a consumer: the part without one carries all of the change (+69), above the floor.
        Assert.Equal([("consumerId", null, 69.0), ("route", "/r7", 50.0)], changes.Select(c => (c.Dimension, c.Value, c.Contribution)));
        Assert.Equal(("request_count", "GET"), (changes[1].Metric, changes[1].Method));
        Assert.Equal(20.69, InsightRanking.FloorOf("request_count", 2069), 6);
        Assert.Equal(5, InsightRanking.FloorOf("request_count", 10));
        Assert.Equal(0.001, InsightRanking.FloorOf("error_rate", 0.02));
    }

    [Fact]
    public void A_drop_is_listed_as_a_negative_change()
    {
        var before = Window(new() { ["GET /a"] = Cell(100), ["POST /b"] = Cell(100) }, []);
        var now = Window(new() { ["GET /a"] = Cell(100), ["POST /b"] = Cell(10) }, []);
        var (totals, changes) = InsightRanking.Rank([At.AddDays(-1)], now, [before], perMetric: 5);

        Assert.Equal(-90.0, totals[0].Change);
        var only = Assert.Single(changes, c => c.Dimension == "route");
        Assert.Equal(("/b", "POST", 100.0, 10.0, -90.0, 1.0), (only.Value, only.Method, only.Before, only.Now, only.Contribution, only.Share));
    }
}
