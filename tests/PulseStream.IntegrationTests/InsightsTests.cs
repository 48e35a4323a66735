using System.Net;
using System.Text.Json;
using PulseStream.Testing;

namespace PulseStream.IntegrationTests;

/// <summary>
/// <c>GET /api/v1/dashboard/insights</c> against the real host on <see cref="InsightsScenario"/>: three earlier days in
/// which alice calls <c>/a</c> and bob calls <c>/b</c> once a minute at 20 ms, and an hour in which <c>/a</c> takes 80 ms,
/// bob's calls to <c>/b</c> all fail and <c>/c</c> (no consumer) is new. The answer names exactly those changes, with
/// figures worked out by hand.
/// </summary>
public class InsightsTests(HostFixture fixture) : IClassFixture<HostFixture>
{
    private const string Password = "a long password for insights";
    private LocalHostProcess Host => fixture.Host;

    private static string Line(JsonElement c) =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"{c.GetProperty("metric").GetString()} {c.GetProperty("dimension").GetString()} {(c.TryGetProperty("method", out var m) ? m.GetString() : "")} {c.GetProperty("value").GetString() ?? "-"} {(c.GetProperty("before").ValueKind == JsonValueKind.Null ? "" : c.GetProperty("before").GetDouble())}->{c.GetProperty("now").GetDouble()} {c.GetProperty("contribution").GetDouble()}");

    [Fact]
    public async Task The_insights_name_the_routes_and_consumers_whose_traffic_errors_and_latency_changed_against_the_previous_days()
    {
        var tenant = await Provisioning.For(Host).CreateTenantAsync("Insights Co", $"insights-{Guid.NewGuid():N}@example.com", Password, default);
        var owner = await Host.LoginAsync(tenant.OwnerEmail, Password);
        var end = InsightsScenario.MinuteOf(DateTimeOffset.UtcNow);
        await Host.StoreEventsAsync(tenant.ApiKey, tenant.TenantId, InsightsScenario.Traffic(end));

        // Pinned: the window ends with the minute before `end`.
        var to = Uri.EscapeDataString(end.AddMinutes(-1).ToString("O"));
        var x = await Host.GetJsonAsync($"api/v1/dashboard/insights?window=1h&to={to}", owner);
        Assert.Equal((end.AddHours(-1), end), (x.GetProperty("from").GetDateTimeOffset(), x.GetProperty("to").GetDateTimeOffset()));
        Assert.Equal(JsonValueKind.Null, x.GetProperty("note").ValueKind);
        Assert.Equal([end.AddHours(-1).AddDays(-1), end.AddHours(-1).AddDays(-2), end.AddHours(-1).AddDays(-3)],
            x.GetProperty("references").EnumerateArray().Select(r => r.GetDateTimeOffset()));
        Assert.Equal(["request_count 120 180 60", "error_rate 0 0.333333 0.333333", "latency_avg 20 40 20"],
            x.GetProperty("totals").EnumerateArray().Select(t => string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"{t.GetProperty("metric").GetString()} {t.GetProperty("before").GetDouble()} {t.GetProperty("now").GetDouble()} {t.GetProperty("change").GetDouble()}")));
        Assert.Equal([
            "request_count consumerId  - 0->60 60",
            "request_count route GET /c 0->60 60",
            "error_rate consumerId  bob 0->1 0.333333",
            "error_rate route GET /b 0->1 0.333333",
            "latency_avg consumerId  alice 20->80 16.666667",
            "latency_avg route GET /a 20->80 16.666667",
            "latency_avg consumerId  - ->20 6.666667",
            "latency_avg route GET /c ->20 6.666667",
        ], x.GetProperty("changes").EnumerateArray().Select(Line));

        // Another tenant sees nothing of it: it has no traffic to compare.
        var other = await Provisioning.For(Host).CreateTenantAsync("Insights Other", $"insights-o-{Guid.NewGuid():N}@example.com", Password, default);
        var outsider = await Host.GetJsonAsync($"api/v1/dashboard/insights?window=1h&to={to}", await Host.LoginAsync(other.OwnerEmail, Password));
        Assert.Empty(outsider.GetProperty("changes").EnumerateArray());
        Assert.StartsWith("No traffic in this window on any of the previous 7 days", outsider.GetProperty("note").GetString());

        // Unpinned, the window ends with the last complete minute.
        var live = await Host.GetJsonAsync("api/v1/dashboard/insights", owner);
        var liveTo = live.GetProperty("to").GetDateTimeOffset();
        Assert.True(liveTo <= DateTimeOffset.UtcNow && liveTo.Ticks % TimeSpan.TicksPerMinute == 0, $"to {liveTo:O}");
        Assert.Equal("1h", live.GetProperty("window").GetString());
    }

    [Theory]
    [InlineData("window=7d", "invalid-window")]
    [InlineData("window=2h", "invalid-window")]
    [InlineData("route=/a", "invalid-route")]
    [InlineData("to=yesterday", "invalid-to")]
    [InlineData("environment=", "invalid-environment")]
    public async Task A_bad_query_is_refused_naming_its_parameter(string query, string type)
    {
        var (status, body) = await Host.SendJsonAsync(HttpMethod.Get, $"api/v1/dashboard/insights?{query}", await Host.LoginAsync());
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.EndsWith(type, body.GetProperty("type").GetString());
    }
}
