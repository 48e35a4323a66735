using System.Net;
using PulseStream.Testing;

namespace PulseStream.IntegrationTests;

/// <summary><c>GET /api/v1/settings/limits</c>: the tenant's limits and its current use of them, for every role.</summary>
public class LimitsUsageTests(HostFixture fixture) : IClassFixture<HostFixture>
{
    private LocalHostProcess Host => fixture.Host;

    [Fact]
    public async Task The_limits_answer_gives_the_rate_of_the_last_minute_its_peak_and_the_routes_and_rules_used()
    {
        var owner = await People.SignupAsync(Host, "Limits Co");
        var viewer = await People.InviteAndAcceptAsync(Host, owner.AccessToken, "viewer");
        var (keyStatus, key) = await Host.SendJsonAsync(HttpMethod.Post, "api/v1/api-keys", owner.AccessToken, new { name = "limits" });
        Assert.Equal(HttpStatusCode.Created, keyStatus);
        // Stamped inside one full 10-second bucket of the last minute (the bucket being filled now is not counted).
        var at = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds() / 10 * 10 - 30).AddSeconds(2);
        using (var post = await Host.Http.SendAsync(Host.Ingest("api/v1/events/batch",
            Payloads.Batch(Enumerable.Range(0, 120).Select(i => Payloads.Event(i % 2 == 0 ? "/v1/a" : "/v1/b", 200, 5, at: at))), key.GetProperty("key").GetString()!)))
            Assert.Equal(HttpStatusCode.Accepted, post.StatusCode);

        System.Text.Json.JsonElement answer = default;
        Assert.True(await LocalHostProcess.EventuallyAsync(async () =>
        {
            answer = await Host.GetJsonAsync("api/v1/settings/limits", viewer.AccessToken);
            return answer.GetProperty("usage").GetProperty("peakEventsPerSecond").GetDouble() > 0;
        }, TimeSpan.FromSeconds(30)));
        var usage = answer.GetProperty("usage");
        Assert.Equal(2.0, usage.GetProperty("eventsPerSecond").GetDouble());
        Assert.Equal(12.0, usage.GetProperty("peakEventsPerSecond").GetDouble());
        Assert.Equal(2, usage.GetProperty("routes").GetInt64());
        Assert.Equal(0, usage.GetProperty("rules").GetInt64());
        Assert.Equal(10_000, answer.GetProperty("limits").GetProperty("eventsPerSecond").GetInt32());
        Assert.Equal(500, answer.GetProperty("limits").GetProperty("maxRules").GetInt32());
    }
}
