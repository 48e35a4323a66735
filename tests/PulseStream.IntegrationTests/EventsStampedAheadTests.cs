using System.Net;
using System.Text.Json;
using PulseStream.Testing;

namespace PulseStream.IntegrationTests;

/// <summary>
/// Events stamped a few minutes ahead of the clock (the edge accepts up to 5): they lie past the end of every window
/// that ends now, so no answer may count them, although the coarse buckets the reads prefer (today's day row, this
/// hour's row) already hold them.
/// </summary>
public class EventsStampedAheadTests(HostFixture fixture) : IClassFixture<HostFixture>
{
    private LocalHostProcess Host => fixture.Host;

    [Fact]
    public async Task No_answer_counts_events_stamped_past_the_end_of_its_window()
    {
        var tenant = await Provisioning.For(Host).CreateTenantAsync("Ahead Co", $"ahead-{Guid.NewGuid():N}@example.com", "a long password 123", default);
        var token = await Host.LoginAsync(tenant.OwnerEmail, "a long password 123");
        var now = DateTimeOffset.UtcNow;
        var ahead = now.AddMinutes(3);
        var events = Enumerable.Range(0, 10).Select(i => Payloads.Event("/v1/now", status: i < 2 ? 503 : 200, latencyMs: 10 + i, consumerId: "consumer-now", at: now.AddSeconds(-i)))
            .Concat(Enumerable.Range(0, 3).Select(_ => Payloads.Event("/v1/now", status: 503, latencyMs: 5000, consumerId: "consumer-now", at: ahead)))
            .Concat(Enumerable.Range(0, 2).Select(_ => Payloads.Event("/v1/ahead", consumerId: "consumer-ahead", at: ahead)))
            .ToList();
        using (var sent = await Host.Http.SendAsync(Host.Ingest("api/v1/events/batch", Payloads.Batch(events), tenant.ApiKey)))
            Assert.Equal(HttpStatusCode.Accepted, sent.StatusCode);
        Assert.True(await LocalHostProcess.EventuallyAsync(async () => await Host.StoredEventCountAsync(tenant.TenantId) == events.Count, TimeSpan.FromSeconds(30)));

        foreach (var window in new[] { "1h", "24h", "7d", "30d" })
        {
            var overview = await Host.GetJsonAsync($"api/v1/dashboard/overview?window={window}", token);
            var to = overview.GetProperty("to").GetDateTimeOffset();
            Assert.True(to < ahead, "the window would hold the events stamped ahead; the test ran too long");
            Assert.Equal(10, overview.GetProperty("totals").GetProperty("requests").GetInt64());
            Assert.Equal(2, overview.GetProperty("totals").GetProperty("errors5xx").GetInt64());
            Assert.True(overview.GetProperty("totals").GetProperty("p99").GetDouble() < 100, $"{window}: p99 counts the 5-second events stamped ahead");
            Assert.Equal(["/v1/now"], overview.GetProperty("topRoutes").EnumerateArray().Select(r => r.GetProperty("route").GetString()));
            Assert.Equal(10, overview.GetProperty("topRoutes")[0].GetProperty("requests").GetInt64());

            var routes = await Host.GetJsonAsync($"api/v1/routes?window={window}", token);
            var route = Assert.Single(routes.GetProperty("items").EnumerateArray());
            Assert.Equal(10, route.GetProperty("requests").GetInt64());
            Assert.Equal(0.2, route.GetProperty("errorRate").GetDouble(), 12);
            Assert.True(route.GetProperty("lastSeen").GetDateTimeOffset() <= now, $"{window}: lastSeen is an event stamped ahead");

            var consumers = await Host.GetJsonAsync($"api/v1/consumers?window={window}", token);
            var consumer = Assert.Single(consumers.GetProperty("items").EnumerateArray());
            Assert.Equal("consumer-now", consumer.GetProperty("consumerId").GetString());
            Assert.Equal(10, consumer.GetProperty("requests").GetInt64());
            Assert.True(consumer.GetProperty("lastSeen").GetDateTimeOffset() <= now, $"{window}: lastSeen is an event stamped ahead");
        }
        foreach (var (window, step) in new[] { ("1h", "1h"), ("24h", "1h"), ("24h", "1d"), ("7d", "1d"), ("30d", "1h") })
        {
            foreach (var (filter, expected) in new[] { ("", 10), ("&route=/v1/now", 10), ("&route=/v1/ahead", 0), ("&consumerId=consumer-now", 10) })
            {
                var series = await Host.GetJsonAsync($"api/v1/metrics/timeseries?metric=request_count&window={window}&step={step}{filter}", token);
                Assert.Equal(expected, series.GetProperty("points").EnumerateArray().Sum(p => p.GetProperty("value").ValueKind == JsonValueKind.Null ? 0 : p.GetProperty("value").GetDouble()));
            }
        }
    }
}
