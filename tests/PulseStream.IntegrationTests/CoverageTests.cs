using System.Net;
using System.Text.Json;
using PulseStream.Testing;

namespace PulseStream.IntegrationTests;

/// <summary>A window longer than what a tier (or the raw events) keeps says from when its answer is complete.</summary>
public class CoverageTests(HostFixture fixture) : IClassFixture<HostFixture>
{
    private LocalHostProcess Host => fixture.Host;

    [Fact]
    public async Task Answers_say_what_they_cover_when_a_tier_keeps_less_than_the_window()
    {
        var tenant = await Provisioning.For(Host).CreateTenantAsync("Coverage Co", $"coverage-{Guid.NewGuid():N}@example.com", "a long password 123", default);
        var token = await Host.LoginAsync(tenant.OwnerEmail, "a long password 123");

        // With the defaults every tier keeps what a 30-day window reads.
        var complete = await Host.GetJsonAsync("api/v1/dashboard/overview?window=30d", token);
        Assert.Equal(complete.GetProperty("from").GetDateTimeOffset(), complete.GetProperty("coveredFrom").GetDateTimeOffset());
        Assert.Equal(30, complete.GetProperty("retention").GetProperty("minuteDays").GetInt32());

        using (var put = await Host.Http.SendAsync(Host.Authorized(HttpMethod.Put, "api/v1/settings/retention", token, new { minuteDays = 1, rawDays = 3 })))
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);

        // A 7-day window starts with minutes 7 days old, which the minute tier no longer keeps: complete from the next hour.
        // Its end is pinned to half past an hour: a window starting on the hour reads no minutes and is complete (CI ran one at 22:00).
        var now = DateTimeOffset.UtcNow;
        var to = Uri.EscapeDataString(new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, 0, 0, TimeSpan.Zero).AddMinutes(-30).ToString("O"));
        var overview = await Host.GetJsonAsync($"api/v1/dashboard/overview?window=7d&to={to}", token);
        var from = overview.GetProperty("from").GetDateTimeOffset();
        var covered = overview.GetProperty("coveredFrom").GetDateTimeOffset();
        Assert.True(covered > from && covered <= from.AddHours(1), $"{from:O} → {covered:O}");
        Assert.Equal(1, overview.GetProperty("retention").GetProperty("minuteDays").GetInt32());
        var routes = await Host.GetJsonAsync($"api/v1/routes?window=7d&to={to}", token);
        Assert.Equal(covered, routes.GetProperty("coveredFrom").GetDateTimeOffset());

        // A series for a route and a consumer together reads raw events: it covers the raw retention only.
        var series = await Host.GetJsonAsync("api/v1/metrics/timeseries?metric=request_count&window=7d&step=1h&route=/v1/x&consumerId=c1", token);
        Assert.Equal("events", series.GetProperty("source").GetString());
        var rawFrom = series.GetProperty("coveredFrom").GetDateTimeOffset();
        Assert.InRange(rawFrom, DateTimeOffset.UtcNow.AddDays(-3).AddMinutes(-2), DateTimeOffset.UtcNow.AddDays(-3).AddMinutes(2));
        // An hour window is within every tier's retention.
        var hour = await Host.GetJsonAsync("api/v1/metrics/timeseries?metric=request_count&window=1h&step=1m", token);
        Assert.Equal(hour.GetProperty("from").GetDateTimeOffset(), hour.GetProperty("coveredFrom").GetDateTimeOffset());
    }
}
