using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using PulseStream.Testing;

namespace PulseStream.IntegrationTests;

public sealed class HostFixture : IAsyncLifetime
{
    public LocalHostProcess Host { get; private set; } = null!;
    // The tests sign up many tenants, quickly and all from 127.0.0.1: the signup limits are lifted here
    // (SignupThrottleTests checks them on hosts of their own).
    public async Task InitializeAsync() => Host = await LocalHostProcess.StartAsync("pulse_it", settings =>
    {
        settings["Auth__Signup__PerAddressPerHour"] = "1000";
        settings["Auth__Signup__PerMinute"] = "1000";
        settings["Auth__Signup__Burst"] = "1000";
    });
    public async Task DisposeAsync() => await Host.DisposeAsync();
}

/// <summary>Ingest through the real local host into Postgres, and back out through the dashboard API.</summary>
public class IngestPipelineTests(HostFixture fixture) : IClassFixture<HostFixture>
{
    private LocalHostProcess Host => fixture.Host;

    [Fact]
    public async Task Posted_events_become_rows_and_rollups_and_the_overview_numbers_match()
    {
        var tenant = await Provisioning.For(Host).CreateTenantAsync("Overview Co", $"o-{Guid.NewGuid():N}@example.com", "a long password 123", default);
        var random = new Random(11);
        var events = Enumerable.Range(0, 600).Select(i => new
        {
            status = i % 10 == 0 ? 503 : i % 7 == 0 ? 404 : 200,
            latency = Math.Round(5 + random.NextDouble() * 400, 2),
            route = i % 3 == 0 ? "/v1/orders/{id}" : "/v1/products",
        }).ToList();
        foreach (var chunk in events.Chunk(200))
        {
            using var response = await Host.Http.SendAsync(Host.Ingest("api/v1/events/batch",
                Payloads.Batch(chunk.Select(e => Payloads.Event(e.route, e.status, e.latency))), tenant.ApiKey));
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            Assert.Equal(200, body.RootElement.GetProperty("accepted").GetInt32());
        }

        Assert.True(await LocalHostProcess.EventuallyAsync(async () =>
            await Host.StoredEventCountAsync(tenant.TenantId) == 600, TimeSpan.FromSeconds(30)));
        Assert.Equal(600, await Host.ScalarAsync("SELECT sum(requests) FROM rollup_totals_minute WHERE tenant_id = $1", tenant.TenantId));
        Assert.Equal(events.Count(e => e.status == 503),
            await Host.ScalarAsync("SELECT sum(status_5xx) FROM rollup_totals_minute WHERE tenant_id = $1", tenant.TenantId));

        var token = await Host.LoginAsync(tenant.OwnerEmail, "a long password 123");
        using var overviewResponse = await Host.Http.SendAsync(Host.Authorized(HttpMethod.Get, "api/v1/dashboard/overview?window=15m", token));
        Assert.Equal(HttpStatusCode.OK, overviewResponse.StatusCode);
        using var overview = JsonDocument.Parse(await overviewResponse.Content.ReadAsStringAsync());
        var totals = overview.RootElement.GetProperty("totals");
        Assert.Equal(600, totals.GetProperty("requests").GetInt64());
        Assert.Equal(events.Count(e => e.status == 503), totals.GetProperty("errors5xx").GetInt64());
        Assert.Equal(events.Count(e => e.status == 404), totals.GetProperty("errors4xx").GetInt64());
        var latencies = events.Select(e => e.latency).Order().ToArray();
        var exactP95 = latencies[(int)Math.Floor(0.95 * (latencies.Length - 1))];
        Assert.InRange(totals.GetProperty("p95").GetDouble(), exactP95 * 0.99, exactP95 * 1.01);
        Assert.Contains(overview.RootElement.GetProperty("topRoutes").EnumerateArray(), r => r.GetProperty("route").GetString() == "/v1/orders/{id}");

        foreach (var bad in new[] { "api/v1/dashboard/overview?window=2h", "api/v1/routes?window=1y", "api/v1/metrics/timeseries?window=-5m" })
        {
            using var refused = await Host.Http.SendAsync(Host.Authorized(HttpMethod.Get, bad, token));
            await AssertProblem(refused, HttpStatusCode.BadRequest, "invalid-window");
        }

        using var seriesResponse = await Host.Http.SendAsync(Host.Authorized(HttpMethod.Get, "api/v1/metrics/timeseries?metric=request_count&window=15m&step=1m", token));
        using var series = JsonDocument.Parse(await seriesResponse.Content.ReadAsStringAsync());
        Assert.Equal(600, series.RootElement.GetProperty("points").EnumerateArray().Sum(p => p.GetProperty("value").GetDouble()));
    }

    [Fact]
    public async Task A_repeated_event_id_is_stored_once_across_batches_and_within_one()
    {
        var tenant = await Provisioning.For(Host).CreateTenantAsync("Dedup Co", $"d-{Guid.NewGuid():N}@example.com", "a long password 123", default);
        var id = Guid.NewGuid().ToString("N");
        for (var i = 0; i < 3; i++)
        {
            using var response = await Host.Http.SendAsync(Host.Ingest("api/v1/events/batch",
                Payloads.Batch([Payloads.Event(eventId: id), Payloads.Event(eventId: id), Payloads.Event()]), tenant.ApiKey));
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        }
        // Three events without an id are stored as sent; the id'd event once.
        Assert.True(await LocalHostProcess.EventuallyAsync(async () =>
            await Host.StoredEventCountAsync(tenant.TenantId) == 4, TimeSpan.FromSeconds(30)));
        await Task.Delay(1000);
        Assert.Equal(1, (await Host.StoredEventsAsync(tenant.TenantId)).Count(e => e.Event.EventId == id));
        Assert.Equal(4, await Host.ScalarAsync("SELECT sum(requests) FROM rollup_totals_minute WHERE tenant_id = $1", tenant.TenantId));
    }

    [Fact]
    public async Task A_batch_with_invalid_events_accepts_the_rest_and_reports_each_by_index_and_field()
    {
        using var response = await Host.Http.SendAsync(Host.Ingest("api/v1/events/batch", Payloads.Batch(
        [
            Payloads.Event(),
            new { timestamp = DateTimeOffset.UtcNow.ToString("O"), method = "GET", path = "/x", statusCode = 999, latencyMs = 1 },
            Payloads.Event(),
            new { method = "GET", path = "/x", statusCode = 200, latencyMs = 1 },
        ])));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(2, body.RootElement.GetProperty("accepted").GetInt32());
        Assert.Equal(2, body.RootElement.GetProperty("rejected").GetInt32());
        var errors = body.RootElement.GetProperty("errors").EnumerateArray().Select(e => (e.GetProperty("index").GetInt32(), e.GetProperty("field").GetString())).ToList();
        Assert.Equal([(1, "statusCode"), (3, "timestamp")], errors);
    }

    [Theory]
    [InlineData(null, HttpStatusCode.Unauthorized, "missing-api-key")]
    [InlineData("psk_live_not-a-key", HttpStatusCode.Unauthorized, "malformed-api-key")]
    public async Task Requests_without_a_usable_key_are_refused_with_problem_details(string? key, HttpStatusCode status, string type)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "api/v1/events") { Content = JsonContent.Create(Payloads.Event()) };
        if (key is not null) request.Headers.Add("X-Api-Key", key);
        using var response = await Host.Http.SendAsync(request);
        await AssertProblem(response, status, type);
    }

    [Fact]
    public async Task A_well_formed_but_unknown_key_is_refused()
    {
        using var response = await Host.Http.SendAsync(Host.Ingest("api/v1/events", Payloads.Event(), Tenancy.ApiKeyFormat.Generate()));
        await AssertProblem(response, HttpStatusCode.Unauthorized, "unknown-api-key");
    }

    [Fact]
    public async Task Wrong_content_type_malformed_json_and_oversized_bodies_are_refused()
    {
        var textRequest = new HttpRequestMessage(HttpMethod.Post, "api/v1/events") { Content = new StringContent("hello", Encoding.UTF8, "text/plain") };
        textRequest.Headers.Add("X-Api-Key", Host.Demo.ApiKey);
        await AssertProblem(await Host.Http.SendAsync(textRequest), HttpStatusCode.UnsupportedMediaType, "unsupported-media-type");

        var malformed = new HttpRequestMessage(HttpMethod.Post, "api/v1/events") { Content = new StringContent("{\"timestamp\":", Encoding.UTF8, "application/json") };
        malformed.Headers.Add("X-Api-Key", Host.Demo.ApiKey);
        await AssertProblem(await Host.Http.SendAsync(malformed), HttpStatusCode.BadRequest, "malformed-json");

        var huge = new HttpRequestMessage(HttpMethod.Post, "api/v1/events/batch")
        {
            Content = new StringContent("{\"events\":[\"" + new string('x', 1024 * 1024 + 10) + "\"]}", Encoding.UTF8, "application/json"),
        };
        huge.Headers.Add("X-Api-Key", Host.Demo.ApiKey);
        await AssertProblem(await Host.Http.SendAsync(huge), HttpStatusCode.RequestEntityTooLarge, "payload-too-large");
    }

    [Fact]
    public async Task Dashboard_routes_need_a_valid_token()
    {
        using var none = await Host.Http.GetAsync("api/v1/dashboard/overview");
        await AssertProblem(none, HttpStatusCode.Unauthorized, "missing-token");
        using var forged = await Host.Http.SendAsync(Host.Authorized(HttpMethod.Get, "api/v1/dashboard/overview", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0."));
        await AssertProblem(forged, HttpStatusCode.Unauthorized, "invalid-token");
        using var badLogin = await Host.Http.PostAsJsonAsync("api/v1/auth/login", new { email = Host.Demo.Email, password = "wrong password!" });
        await AssertProblem(badLogin, HttpStatusCode.Unauthorized, "invalid-credentials");
    }

    [Fact]
    public async Task Health_reports_ok_and_the_dashboard_is_served()
    {
        using var health = JsonDocument.Parse(await Host.Http.GetStringAsync("api/health"));
        Assert.Equal("ok", health.RootElement.GetProperty("status").GetString());
        using var page = await Host.Http.GetAsync("dashboard/");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("login-form", await page.Content.ReadAsStringAsync());
    }

    internal static async Task AssertProblem(HttpResponseMessage response, HttpStatusCode status, string type)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.EndsWith("/" + type, problem.RootElement.GetProperty("type").GetString());
        Assert.Equal((int)status, problem.RootElement.GetProperty("status").GetInt32());
    }
}
