using System.Globalization;
using System.Net;
using System.Text.Json;
using PulseStream.Testing;

namespace PulseStream.IntegrationTests;

/// <summary>A local host that stores raw events as rows (<c>Storage__EventLayout=rows</c>), the measured alternative.</summary>
public sealed class RowsHostFixture : IAsyncLifetime
{
    public LocalHostProcess Host { get; private set; } = null!;
    public async Task InitializeAsync() => Host = await LocalHostProcess.StartAsync("pulse_rows", settings =>
    {
        settings["Storage__EventLayout"] = "rows";
        settings["Auth__Signup__PerAddressPerHour"] = "1000";
        settings["Auth__Signup__PerMinute"] = "1000";
        settings["Auth__Signup__Burst"] = "1000";
    });
    public async Task DisposeAsync() => await Host.DisposeAsync();
}

/// <summary><c>GET /api/v1/events</c> on the default layout (compressed segments).</summary>
public class EventsQueryTests(HostFixture fixture) : EventsQueryScenarios(fixture.Host), IClassFixture<HostFixture>
{
    [Fact]
    public async Task Segments_are_what_the_default_layout_stores()
    {
        var (tenant, _) = await IngestScenarioAsync();
        Assert.True(await Host.ScalarAsync("SELECT count(*) FROM event_segments WHERE tenant_id = $1", tenant.TenantId) > 0);
        Assert.Equal(0, await Host.ScalarAsync("SELECT count(*) FROM events WHERE tenant_id = $1", tenant.TenantId));
    }
}

/// <summary>The same scenarios on the rows layout: both layouts answer every events query alike.</summary>
public class RowLayoutEventsQueryTests(RowsHostFixture fixture) : EventsQueryScenarios(fixture.Host), IClassFixture<RowsHostFixture>
{
    [Fact]
    public async Task Rows_are_what_the_rows_layout_stores()
    {
        var (tenant, sent) = await IngestScenarioAsync();
        Assert.Equal(sent.Count, await Host.ScalarAsync("SELECT count(*) FROM events WHERE tenant_id = $1", tenant.TenantId));
        Assert.Equal(0, await Host.ScalarAsync("SELECT count(*) FROM event_segments WHERE tenant_id = $1", tenant.TenantId));
    }
}

/// <summary>The behaviour a user of <c>GET /api/v1/events</c> sees, whichever layout stores the events.</summary>
public abstract class EventsQueryScenarios(LocalHostProcess host)
{
    private const string Password = "a long password 123";
    protected LocalHostProcess Host { get; } = host;

    protected sealed record Sent(string EventId, DateTimeOffset At, string Method, string Route, int Status, double LatencyMs, string? Consumer, string Environment);

    /// <summary>A tenant with 250 events sharing one timestamp and 60 varied older ones, all stored.</summary>
    protected async Task<(PulseStream.Tenancy.ProvisionedTenant Tenant, List<Sent> Events)> IngestScenarioAsync()
    {
        var tenant = await Provisioning.For(Host).CreateTenantAsync("Events Co", $"ev-{Guid.NewGuid():N}@example.com", Password, default);
        var same = DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.AddMinutes(-2).ToUnixTimeMilliseconds());
        var sent = Enumerable.Range(0, 250).Select(i => new Sent($"same-{i}", same, "GET", "/v1/same", 200, 10, "c1", "production")).ToList();
        string[] methods = ["GET", "POST", "DELETE"];
        int[] statuses = [200, 201, 404, 500, 503];
        sent.AddRange(Enumerable.Range(0, 60).Select(i => new Sent($"v-{i}", same.AddSeconds(-1 - i), methods[i % 3],
            i % 2 == 0 ? "/v1/orders/{id}" : "/v1/products", statuses[i % 5], 5 + i * 10, i % 4 == 0 ? null : $"c{i % 3}", i % 6 == 0 ? "staging" : "production")));
        foreach (var chunk in sent.Chunk(100))
        {
            using var response = await Host.Http.SendAsync(Host.Ingest("api/v1/events/batch", Payloads.Batch(chunk.Select(e => (object)new
            {
                eventId = e.EventId, timestamp = e.At.ToString("O", CultureInfo.InvariantCulture), method = e.Method, path = e.Route.Replace("{id}", "7", StringComparison.Ordinal),
                route = e.Route, statusCode = e.Status, latencyMs = e.LatencyMs, consumerId = e.Consumer, environment = e.Environment,
            })), tenant.ApiKey));
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        }
        Assert.True(await LocalHostProcess.EventuallyAsync(async () => await Host.StoredEventCountAsync(tenant.TenantId) == sent.Count, TimeSpan.FromSeconds(30)));
        return (tenant, sent);
    }

    private async Task<(List<JsonElement> Items, List<string?> Cursors)> AllPagesAsync(string token, string filter)
    {
        var items = new List<JsonElement>();
        var cursors = new List<string?>();
        string? cursor = null;
        for (var page = 0; page < 100; page++)
        {
            var url = $"api/v1/events?{filter}" + (cursor is null ? "" : $"&cursor={cursor}");
            using var response = await Host.Http.SendAsync(Host.Authorized(HttpMethod.Get, url, token));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            items.AddRange(body.RootElement.GetProperty("items").EnumerateArray().Select(e => e.Clone()));
            // The API leaves nulls out: the last page has no next.
            cursor = body.RootElement.TryGetProperty("next", out var next) ? next.GetString() : null;
            cursors.Add(cursor);
            if (cursor is null) break;
        }
        return (items, cursors);
    }

    [Fact]
    public async Task Two_hundred_fifty_events_sharing_one_timestamp_page_fully_with_limit_100()
    {
        var (tenant, _) = await IngestScenarioAsync();
        var token = await Host.LoginAsync(tenant.OwnerEmail, Password);
        var (items, cursors) = await AllPagesAsync(token, "route=/v1/same&limit=100");
        Assert.Equal(3, cursors.Count);
        Assert.Null(cursors[^1]);
        Assert.Equal(250, items.Select(i => i.GetProperty("id").GetString()).Distinct().Count());
        Assert.Equal(250, items.Select(i => i.GetProperty("eventId").GetString()).Distinct().Count());
    }

    [Fact]
    public async Task Every_filter_returns_exactly_the_matching_events_newest_first_across_pages()
    {
        var (tenant, sent) = await IngestScenarioAsync();
        var token = await Host.LoginAsync(tenant.OwnerEmail, Password);
        var same = sent[0].At;
        static string Time(DateTimeOffset at) => Uri.EscapeDataString(at.ToString("O", CultureInfo.InvariantCulture));
        var cases = new (string Filter, Func<Sent, bool> Expected)[]
        {
            ("limit=1000", _ => true),
            ("limit=7", _ => true),
            ("status=5xx&limit=4", e => e.Status >= 500),
            ("status=503", e => e.Status == 503),
            ("route=/v1/orders/{id}&status=5xx&limit=3", e => e.Route == "/v1/orders/{id}" && e.Status >= 500),
            ("method=post", e => e.Method == "POST"),
            ("consumerId=c2", e => e.Consumer == "c2"),
            ("environment=staging", e => e.Environment == "staging"),
            ("minLatencyMs=300&limit=5", e => e.LatencyMs >= 300),
            ($"from={Time(same.AddSeconds(-20))}&to={Time(same)}", e => e.At >= same.AddSeconds(-20) && e.At < same),
            ($"before={Time(same.AddSeconds(-30))}&limit=9", e => e.At < same.AddSeconds(-30)),
        };
        foreach (var (filter, expected) in cases)
        {
            var (items, _) = await AllPagesAsync(token, filter);
            var want = sent.Where(expected).Select(e => e.EventId).Order(StringComparer.Ordinal).ToList();
            Assert.True(want.SequenceEqual(items.Select(i => i.GetProperty("eventId").GetString()!).Order(StringComparer.Ordinal)),
                $"{filter}: expected {want.Count} events, got {items.Count}");
            var times = items.Select(i => i.GetProperty("timestamp").GetDateTimeOffset()).ToList();
            Assert.True(times.Zip(times.Skip(1)).All(p => p.First >= p.Second), $"{filter}: not newest first");
        }

        // An item keeps today's fields and carries a stable id.
        var (all, _) = await AllPagesAsync(token, "consumerId=c2&limit=1");
        var first = all[0];
        var source = sent.Single(e => e.EventId == first.GetProperty("eventId").GetString());
        Assert.Equal(source.Route, first.GetProperty("route").GetString());
        Assert.Equal(source.Status, first.GetProperty("statusCode").GetInt32());
        Assert.Equal(source.LatencyMs, first.GetProperty("latencyMs").GetDouble());
        Assert.Equal(source.Environment, first.GetProperty("environment").GetString());
        Assert.Equal(source.At, first.GetProperty("timestamp").GetDateTimeOffset());
        Assert.True(first.TryGetProperty("receivedAt", out _));
        var (again, _) = await AllPagesAsync(token, "consumerId=c2&limit=1");
        Assert.Equal(first.GetProperty("id").GetString(), again[0].GetProperty("id").GetString());
    }

    [Theory]
    [InlineData("limit=0", "limit")]
    [InlineData("limit=1001", "limit")]
    [InlineData("status=6xx", "status")]
    [InlineData("status=5x", "status")]
    [InlineData("status=99", "status")]
    [InlineData("method=FETCH", "method")]
    [InlineData("minLatencyMs=-1", "minLatencyMs")]
    [InlineData("minLatencyMs=fast", "minLatencyMs")]
    [InlineData("from=yesterday", "from")]
    [InlineData("to=2026-13-01T00:00:00Z", "to")]
    [InlineData("before=soon", "before")]
    [InlineData("from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z", "from")]
    [InlineData("cursor=not-a-cursor", "cursor")]
    public async Task A_malformed_filter_is_a_400_naming_the_field(string query, string field)
    {
        var token = await Host.LoginAsync();
        using var response = await Host.Http.SendAsync(Host.Authorized(HttpMethod.Get, $"api/v1/events?{query}", token));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.EndsWith($"invalid-{field}", body.RootElement.GetProperty("type").GetString(), StringComparison.Ordinal);
        Assert.Equal(field, body.RootElement.GetProperty("errors")[0].GetProperty("field").GetString());
    }

    [Fact]
    public async Task Another_tenant_sees_none_of_a_tenants_events_even_with_its_cursor()
    {
        var (a, sentA) = await IngestScenarioAsync();
        var b = await Provisioning.For(Host).CreateTenantAsync("Other Co", $"ob-{Guid.NewGuid():N}@example.com", Password, default);
        var older = sentA[^1].At.AddMinutes(-1);
        using (var response = await Host.Http.SendAsync(Host.Ingest("api/v1/events/batch",
            Payloads.Batch(Enumerable.Range(0, 3).Select(i => Payloads.Event("/v1/same", eventId: $"b-{i}", at: older.AddSeconds(-i)))), b.ApiKey)))
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.True(await LocalHostProcess.EventuallyAsync(async () => await Host.StoredEventCountAsync(b.TenantId) == 3, TimeSpan.FromSeconds(30)));

        var tokenA = await Host.LoginAsync(a.OwnerEmail, Password);
        var (_, cursorsA) = await AllPagesAsync(tokenA, "route=/v1/same&limit=100");
        var tokenB = await Host.LoginAsync(b.OwnerEmail, Password);
        var seen = new List<string>();
        foreach (var cursor in cursorsA.Where(c => c is not null).Prepend(null))
        {
            using var response = await Host.Http.SendAsync(Host.Authorized(HttpMethod.Get,
                "api/v1/events?route=/v1/same&limit=1000" + (cursor is null ? "" : $"&cursor={cursor}"), tokenB));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            seen.AddRange(body.RootElement.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("eventId").GetString()!));
        }
        Assert.NotEmpty(seen);
        Assert.All(seen, id => Assert.StartsWith("b-", id, StringComparison.Ordinal));
    }
}
