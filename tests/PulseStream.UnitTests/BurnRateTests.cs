using PulseStream.Alerting;
using PulseStream.Slos;

namespace PulseStream.UnitTests;

/// <summary>
/// Burn-rate rules against the SRE workbook's table: the pairs' factors scaled to the SLO's window, and each level
/// holding when, and only when, both windows of one of its pairs burn at least the pair's factor.
/// </summary>
public sealed class BurnRateTests
{
    private const double Objective = 0.999;
    private static readonly TimeSpan Month = TimeSpan.FromDays(30);
    private static readonly TimeSpan FiveMinutes = TimeSpan.FromMinutes(5), HalfHour = TimeSpan.FromMinutes(30), Hour = TimeSpan.FromHours(1),
        SixHours = TimeSpan.FromHours(6), ThreeDays = TimeSpan.FromDays(3);

    /// <summary>A million requests per window with bad ones at <paramref name="burn"/> times the budgeted share.</summary>
    private static SloCounts Burning(double burn) => new(1_000_000, (long)Math.Round(burn * (1 - Objective) * 1_000_000));

    private static Func<TimeSpan, SloCounts> Windows(Func<TimeSpan, double> burnOver) => w => Burning(burnOver(w));

    private static bool Holds(string level, Func<TimeSpan, double> burnOver, TimeSpan? window = null) =>
        BurnRate.Score(level, Objective, window ?? Month, Windows(burnOver)) >= BurnRate.Threshold;

    [Theory]
    [InlineData(30, 14.4, 6, 1)]
    [InlineData(28, 13.44, 5.6, 0.9333)]
    [InlineData(7, 3.36, 1.4, 0.2333)]
    public void The_factors_are_the_workbook_budget_shares_scaled_to_the_slo_window(int days, double fast, double slow, double ticket)
    {
        var window = TimeSpan.FromDays(days);
        var page = BurnRate.PairsOf(BurnRate.Page);
        Assert.Equal([(Hour, FiveMinutes), (SixHours, HalfHour)], page.Select(p => (p.Long, p.Short)));
        Assert.Equal(fast, page[0].Factor(window), 4);
        Assert.Equal(slow, page[1].Factor(window), 4);
        var tickets = BurnRate.PairsOf(BurnRate.Ticket);
        Assert.Equal((ThreeDays, SixHours), (tickets.Single().Long, tickets.Single().Short));
        Assert.Equal(ticket, tickets.Single().Factor(window), 4);
    }

    [Theory]
    [InlineData(0.5, false, false)]
    [InlineData(1, false, true)]
    [InlineData(5.9, false, true)]
    [InlineData(6, true, true)]
    [InlineData(14.4, true, true)]
    [InlineData(100, true, true)]
    public void A_steady_burn_pages_from_6_and_tickets_from_1_on_a_30_day_slo(double burn, bool page, bool ticket)
    {
        Assert.Equal(page, Holds(BurnRate.Page, _ => burn));
        Assert.Equal(ticket, Holds(BurnRate.Ticket, _ => burn));
    }

    [Fact]
    public void The_score_is_the_best_pair_burn_over_its_factor()
    {
        // 14.4 everywhere: the fast pair is just met (1), the slow pair 14.4 / 6.
        Assert.Equal(2.4, BurnRate.Score(BurnRate.Page, Objective, Month, Windows(_ => 14.4)), 9);
        // The smaller of a pair's two windows counts: 20 over the hour, 7.2 over its 5 minutes gives 0.5 for the fast pair.
        Assert.Equal(0.5, BurnRate.Score(BurnRate.Page, Objective, Month, Windows(w => w == FiveMinutes ? 7.2 : w == Hour ? 20 : 0)), 9);
        Assert.Equal(0, BurnRate.Score(BurnRate.Page, Objective, Month, _ => new SloCounts(0, 0)));
    }

    [Theory]
    // A 5-minute burst at burn B spends B × 5 min / 30 d of the budget; the fast pair pages at 2 % within the hour.
    [InlineData(100, false)] // 1.16 % of the budget: 1 h burn 8.3, below 14.4
    [InlineData(200, true)]  // 2.3 %: 1 h burn 16.7, 5 min burn 200
    public void A_burst_pages_once_it_has_spent_2_percent_of_the_budget_within_the_hour(double burst, bool page)
    {
        double Over(TimeSpan w) => burst * FiveMinutes.Ticks / w.Ticks;
        Assert.Equal(page, Holds(BurnRate.Page, w => w == FiveMinutes ? burst : Over(w)));
    }

    [Fact]
    public void An_incident_that_stopped_no_longer_pages_or_tickets_once_the_short_window_is_clean()
    {
        // 20 times the budgeted rate over the long windows, but nothing bad in the last 30 minutes (page) or 6 hours (ticket).
        Assert.False(Holds(BurnRate.Page, w => w <= HalfHour ? 0 : 20));
        Assert.False(Holds(BurnRate.Ticket, w => w == SixHours ? 0 : 20));
        // Still burning in the last 5 minutes, the hour pair pages.
        Assert.True(Holds(BurnRate.Page, w => w == HalfHour ? 0 : 20));
    }

    [Fact]
    public void A_shorter_slo_window_alerts_at_lower_burn_rates()
    {
        // Burn 4: spends 2 % of a 7-day budget in an hour (factor 3.36), not 2 % of a 30-day one.
        Assert.True(Holds(BurnRate.Page, _ => 4, TimeSpan.FromDays(7)));
        Assert.False(Holds(BurnRate.Page, _ => 4, Month));
        Assert.True(Holds(BurnRate.Ticket, _ => 0.25, TimeSpan.FromDays(7)));
    }

    private static AlertRuleBody Rule(RuleCondition condition, string? noData = null) => new("burn", true, "critical", condition, null, null, null, NoData: noData);

    [Fact]
    public void A_burn_rate_condition_names_its_slo_and_level_and_gets_its_fields_derived()
    {
        var sloId = Guid.NewGuid();
        var body = Rule(new RuleCondition(BurnRate.Type, null!, null!, 0, null!, SloId: sloId, Level: "ticket"));
        Assert.Empty(AlertRuleValidator.Validate(body));
        var stored = AlertRuleValidator.Normalize(body).Condition;
        Assert.Equal(("burn_rate", ">=", 1.0, "6h", "ticket"), (stored.Metric, stored.Operator, stored.Threshold, stored.Window, stored.Level));
        // What a GET shows may be sent back as it is.
        Assert.Empty(AlertRuleValidator.Validate(Rule(stored)));
        Assert.Equal("page", AlertRuleValidator.Normalize(Rule(stored with { Level = null, Window = null! })).Condition.Level);
    }

    [Fact]
    public void A_burn_rate_condition_refuses_what_has_no_meaning_for_it()
    {
        var condition = new RuleCondition(BurnRate.Type, "error_rate", ">", 0.5, "1h", new RuleFilters(Route: "/a"), ["route"], RecoveryThreshold: 0.1, Level: "hourly");
        var fields = AlertRuleValidator.Validate(Rule(condition, noData: "alerting")).Select(e => e.Field).ToHashSet();
        Assert.Superset(new HashSet<string> { "condition.sloId", "condition.level", "condition.metric", "condition.operator", "condition.threshold",
            "condition.window", "condition.filters", "condition.recoveryThreshold", "noData" }, fields);
        // And a threshold condition names no SLO.
        var threshold = new RuleCondition("threshold", "error_rate", ">", 0.05, "5m", SloId: Guid.NewGuid());
        Assert.Contains("condition.sloId", AlertRuleValidator.Validate(Rule(threshold)).Select(e => e.Field));
    }
}
