using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Azure.Data.Tables;
using PulseStream.Tenancy;
using PulseStream.Testing;

namespace PulseStream.IntegrationTests;

/// <summary>A tenant whose paths explode into routes keeps a bounded route set, and can see that it overflowed.</summary>
public class RouteCardinalityTests(HostFixture fixture) : IClassFixture<HostFixture>
{
    private LocalHostProcess Host => fixture.Host;

    [Fact]
    public async Task A_hundred_thousand_random_paths_keep_2000_routes_and_the_rest_is_recorded_as_other()
    {
        var password = "a long password 123";
        var tenant = await Provisioning.For(Host).CreateTenantAsync("Cardinality Co", $"c-{Guid.NewGuid():N}@example.com", password, default);
        await new TenantLimitsStore(new TableServiceClient(TestEnvironment.Tables), TimeProvider.System)
            .SaveAsync(tenant.TenantId, TenantLimits.Default with { EventsPerSecond = 1_000_000, Burst = 1_000_000 }, default);

        var random = new Random(3);
        string Word() => new(Enumerable.Range(0, random.Next(5, 9)).Select(_ => (char)('a' + random.Next(26))).ToArray());
        for (var batch = 0; batch < 100; batch++)
        {
            var events = Enumerable.Range(0, 1000).Select(_ => new
            {
                timestamp = DateTimeOffset.UtcNow.ToString("O"), method = "GET", path = $"/v1/{Word()}/{Word()}", statusCode = 200, latencyMs = 3,
            });
            using var response = await Host.Http.SendAsync(Host.Ingest("api/v1/events/batch", new { events }, tenant.ApiKey));
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        }

        Assert.True(await LocalHostProcess.EventuallyAsync(async () =>
            await Host.StoredEventCountAsync(tenant.TenantId) == 100_000, TimeSpan.FromSeconds(120)));
        Assert.Equal(2000, await Host.ScalarAsync("SELECT count(*) FROM tenant_routes WHERE tenant_id = $1", tenant.TenantId));
        var other = await Host.ScalarAsync("SELECT coalesce(sum(requests), 0) FROM rollup_routes_minute WHERE tenant_id = $1 AND route = '/{other}'", tenant.TenantId);
        var named = await Host.ScalarAsync("SELECT coalesce(sum(requests), 0) FROM rollup_routes_minute WHERE tenant_id = $1 AND route <> '/{other}'", tenant.TenantId);
        Assert.Equal(100_000, other + named);
        Assert.True(other > 90_000, $"only {other} events were recorded as /{{other}}");
        Assert.Equal(2000, await Host.ScalarAsync("SELECT count(DISTINCT route) FROM rollup_routes_minute WHERE tenant_id = $1 AND route <> '/{other}'", tenant.TenantId));

        var token = await Host.LoginAsync(tenant.OwnerEmail, password);
        var overview = await (await Host.Http.SendAsync(Host.Authorized(HttpMethod.Get, "api/v1/dashboard/overview?window=15m", token))).Content.ReadFromJsonAsync<JsonElement>();
        var routes = overview.GetProperty("routes");
        Assert.Equal(2000, routes.GetProperty("distinct").GetInt64());
        Assert.Equal(2000, routes.GetProperty("limit").GetInt32());
        Assert.Equal(other, routes.GetProperty("overflowEvents").GetInt64());
        var report = await (await Host.Http.SendAsync(Host.Authorized(HttpMethod.Get, "api/v1/routes?window=1h", token))).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Contains(report.GetProperty("items").EnumerateArray(), r => r.GetProperty("route").GetString() == "/{other}" && r.GetProperty("requests").GetInt64() == other);
    }
}
