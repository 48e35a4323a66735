using PulseStream.Slos;

namespace PulseStream.UnitTests;

/// <summary>Attainment, error budget, burn rate and the projected exhaustion, as docs/ALERTING.md defines them.</summary>
public sealed class SloMathTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 2, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Month = TimeSpan.FromDays(30);

    [Fact]
    public void Half_the_budget_left_at_twice_the_budgeted_burn_runs_out_in_a_quarter_of_the_window()
    {
        var s = SloMath.Status(0.999, Month, Now - Month, Now, new SloCounts(10_000, 5), new SloCounts(1_000, 2), Now);

        Assert.Equal(0.9995, s.Attainment!.Value, 12);
        Assert.Equal(10, s.ErrorBudget.Total, 9);
        Assert.Equal(5, s.ErrorBudget.Consumed);
        Assert.Equal(5, s.ErrorBudget.Remaining, 9);
        Assert.Equal(0.5, s.ErrorBudget.RemainingRatio!.Value, 9);
        Assert.Equal(2, s.BurnRate!.Value, 9);
        Assert.Equal(Now + TimeSpan.FromDays(7.5), s.ExhaustsAt!.Value, TimeSpan.FromSeconds(1));
        Assert.False(s.Exhausted);
        Assert.False(s.Breaching);
    }

    [Fact]
    public void An_overspent_budget_is_exhausted_and_breaching_with_no_projection()
    {
        var s = SloMath.Status(0.99, Month, Now - Month, Now, new SloCounts(200, 10), new SloCounts(200, 10), Now);

        Assert.Equal(0.95, s.Attainment!.Value, 12);
        Assert.Equal(-4, s.ErrorBudget.RemainingRatio!.Value, 9);
        Assert.True(s.Exhausted);
        Assert.True(s.Breaching);
        Assert.Null(s.ExhaustsAt);
        Assert.Equal(5, s.BurnRate!.Value, 9);
    }

    [Fact]
    public void Without_traffic_nothing_is_known_and_without_recent_errors_nothing_runs_out()
    {
        var none = SloMath.Status(0.999, Month, Now - Month, Now, default, default, Now);
        Assert.Null(none.Attainment);
        Assert.Null(none.ErrorBudget.RemainingRatio);
        Assert.Null(none.BurnRate);
        Assert.Null(none.ExhaustsAt);
        Assert.False(none.Breaching);

        var calm = SloMath.Status(0.999, Month, Now - Month, Now, new SloCounts(1000, 0), new SloCounts(100, 0), Now);
        Assert.Equal(1, calm.ErrorBudget.RemainingRatio!.Value, 9);
        Assert.Equal(0, calm.BurnRate!.Value);
        Assert.Null(calm.ExhaustsAt);
    }

    [Fact]
    public void The_series_spends_the_windows_budget_step_by_step_and_ends_at_the_status_ratio()
    {
        var steps = new List<(DateTimeOffset, SloCounts)>
        {
            (Now.AddHours(-3), new SloCounts(1000, 0)), (Now.AddHours(-2), new SloCounts(1000, 1)), (Now.AddHours(-1), new SloCounts(1000, 2)),
        };
        var points = SloMath.Series(0.999, steps);
        Assert.Equal([1.0, 2.0 / 3, 0.0], points.Select(p => Math.Round(p.BudgetRemainingRatio!.Value, 9)).ToArray(), (a, b) => Math.Abs(a - b) < 1e-9);
        var status = SloMath.Status(0.999, Month, Now.AddHours(-3), Now, new SloCounts(3000, 3), default, Now);
        Assert.Equal(status.ErrorBudget.RemainingRatio!.Value, points[^1].BudgetRemainingRatio!.Value, 9);
    }

    [Theory]
    [InlineData("""{"name":"x","filters":{"route":"/a","consumerId":"c"},"sli":{"type":"availability"},"objective":0.99,"window":"7d"}""", "filters")]
    [InlineData("""{"name":"x","sli":{"type":"latency"},"objective":0.99,"window":"7d"}""", "sli.thresholdMs")]
    [InlineData("""{"name":"x","sli":{"type":"availability","thresholdMs":100},"objective":0.99,"window":"7d"}""", "sli.thresholdMs")]
    [InlineData("""{"name":"x","sli":{"type":"uptime"},"objective":0.99,"window":"7d"}""", "sli.type")]
    [InlineData("""{"name":"x","sli":{"type":"availability"},"objective":1,"window":"7d"}""", "objective")]
    [InlineData("""{"name":"x","sli":{"type":"availability"},"objective":0.99,"window":"14d"}""", "window")]
    [InlineData("""{"name":"","sli":{"type":"availability"},"objective":0.99,"window":"7d"}""", "name")]
    [InlineData("""{"name":"x","filters":{"route":"/a"},"sli":{"type":"availability"},"objective":0.99,"window":"7d","perConsumer":{"top":5}}""", "perConsumer")]
    [InlineData("""{"name":"x","sli":{"type":"availability"},"objective":0.99,"window":"7d","perConsumer":{"top":5000}}""", "perConsumer.top")]
    [InlineData("""{"name":"x","filters":{"method":"FETCH"},"sli":{"type":"availability"},"objective":0.99,"window":"7d"}""", "filters.method")]
    public void A_body_that_no_rollup_could_answer_or_that_is_malformed_names_its_field(string json, string field)
    {
        var body = System.Text.Json.JsonSerializer.Deserialize<SloBody>(json, PulseStream.Http.Json.Options);
        var (slo, errors) = SloValidator.Validate(body);
        Assert.Null(slo);
        Assert.Contains(errors, e => e.Field == field);
    }

    [Fact]
    public void A_valid_body_keeps_its_filters_and_answers_its_canonical_form()
    {
        var body = System.Text.Json.JsonSerializer.Deserialize<SloBody>(
            """{"name":" Checkout ","filters":{"route":"/v1/checkout","method":"post","environment":"production"},"sli":{"type":"latency","thresholdMs":300},"objective":0.995,"window":"28d"}""",
            PulseStream.Http.Json.Options);
        var (slo, errors) = SloValidator.Validate(body);
        Assert.Empty(errors);
        Assert.Equal(("Checkout", "/v1/checkout", "POST", 300.0, 28), (slo!.Name, slo.Filters.Route, slo.Filters.Method, slo.ThresholdMs!.Value, slo.WindowDays));
        Assert.Equal("28d", slo.Body.Window);
    }
}
