using System.Net;
using System.Text.Json;
using PulseStream.Testing;

namespace PulseStream.IntegrationTests;

/// <summary>
/// SLOs against the real host: status, series and the per-consumer template computed from stored traffic whose good
/// and bad requests are known; who may write; bad bodies named; one tenant's SLOs invisible to another.
/// </summary>
public class SloTests(HostFixture fixture) : IClassFixture<HostFixture>
{
    private const string Password = "a long password for slos";
    private LocalHostProcess Host => fixture.Host;

    private static object Event(string consumer, int status, double latency) => new
    {
        timestamp = DateTimeOffset.UtcNow.AddMinutes(-2).ToString("O"), method = "POST", path = "/v1/checkout", route = "/v1/checkout",
        statusCode = status, latencyMs = latency, consumerId = consumer,
    };

    private async Task<(PulseStream.Tenancy.ProvisionedTenant Tenant, string Owner)> TenantWithTrafficAsync()
    {
        var tenant = await Provisioning.For(Host).CreateTenantAsync("SLO Co", $"slo-{Guid.NewGuid():N}@example.com", Password, default);
        // acme: 90 good (50 ms) and 10 failed (503, 500 ms); globex: 100 good (50 ms).
        var events = Enumerable.Range(0, 90).Select(_ => Event("acme", 200, 50)).Concat(Enumerable.Range(0, 10).Select(_ => Event("acme", 503, 500)))
            .Concat(Enumerable.Range(0, 100).Select(_ => Event("globex", 200, 50)));
        using (var post = await Host.Http.SendAsync(Host.Ingest("api/v1/events/batch", Payloads.Batch(events), tenant.ApiKey)))
            Assert.Equal(HttpStatusCode.Accepted, post.StatusCode);
        var owner = await Host.LoginAsync(tenant.OwnerEmail, Password);
        Assert.True(await LocalHostProcess.EventuallyAsync(async () => await Host.StoredEventCountAsync(tenant.TenantId) == 200, TimeSpan.FromSeconds(30)));
        return (tenant, owner);
    }

    private async Task<JsonElement> CreateAsync(string token, object body)
    {
        var (status, created) = await Host.SendJsonAsync(HttpMethod.Post, "api/v1/slos", token, body);
        Assert.True(status == HttpStatusCode.Created, created.ToString());
        return created;
    }

    [Fact]
    public async Task Status_series_and_consumers_count_the_known_good_and_bad_requests()
    {
        var (_, owner) = await TenantWithTrafficAsync();
        var availability = await CreateAsync(owner, new { name = "Checkout availability", filters = new { route = "/v1/checkout", method = "POST" },
            sli = new { type = "availability" }, objective = 0.99, window = "30d" });
        var latency = await CreateAsync(owner, new { name = "Checkout latency", sli = new { type = "latency", thresholdMs = 100 }, objective = 0.9, window = "7d" });
        var perConsumer = await CreateAsync(owner, new { name = "Each consumer", sli = new { type = "availability" }, objective = 0.99, window = "28d", perConsumer = new { top = 10 } });

        // Availability, 99 %: 10 bad of 200 spend 10 of a budget of 2: exhausted and breaching, burning 5 times the budgeted rate.
        var a = await Host.GetJsonAsync($"api/v1/slos/{availability.GetProperty("id").GetString()}/status", owner);
        Assert.Equal(0.95, a.GetProperty("attainment").GetDouble(), 9);
        Assert.Equal(2, a.GetProperty("errorBudget").GetProperty("total").GetDouble(), 9);
        Assert.Equal(10, a.GetProperty("errorBudget").GetProperty("consumed").GetInt64());
        Assert.Equal(-8, a.GetProperty("errorBudget").GetProperty("remaining").GetDouble(), 9);
        Assert.Equal(5, a.GetProperty("burnRate").GetDouble(), 9);
        Assert.True(a.GetProperty("exhausted").GetBoolean());
        Assert.True(a.GetProperty("breaching").GetBoolean());

        // Latency within 100 ms, 90 %, 7 days: 10 of 200 slower, half of a budget of 20 left, burning at half the
        // budgeted rate: the rest lasts half the window / 0.5 = 7 days.
        var l = await Host.GetJsonAsync($"api/v1/slos/{latency.GetProperty("id").GetString()}/status", owner);
        Assert.Equal(0.95, l.GetProperty("attainment").GetDouble(), 9);
        Assert.Equal(0.5, l.GetProperty("errorBudget").GetProperty("remainingRatio").GetDouble(), 9);
        Assert.Equal(0.5, l.GetProperty("burnRate").GetDouble(), 9);
        var exhausts = l.GetProperty("exhaustsAt").GetDateTimeOffset();
        Assert.InRange(exhausts, DateTimeOffset.UtcNow.AddDays(7).AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(7).AddMinutes(5));
        Assert.False(l.GetProperty("breaching").GetBoolean());

        var series = await Host.GetJsonAsync($"api/v1/slos/{latency.GetProperty("id").GetString()}/series?step=1h", owner);
        var points = series.GetProperty("points").EnumerateArray().ToList();
        Assert.InRange(points.Count, 168, 169);
        Assert.Equal(200, points.Sum(p => p.GetProperty("requests").GetInt64()));
        Assert.Equal(10, points.Sum(p => p.GetProperty("bad").GetInt64()));
        Assert.Equal(0.5, points[^1].GetProperty("budgetRemainingRatio").GetDouble(), 9);

        // The per-consumer template: acme breaches (90 %), globex does not; the least budget left comes first.
        var consumers = await Host.GetJsonAsync($"api/v1/slos/{perConsumer.GetProperty("id").GetString()}/consumers", owner);
        var items = consumers.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(["acme", "globex"], items.Select(i => i.GetProperty("consumerId").GetString()));
        Assert.True(items[0].GetProperty("breaching").GetBoolean());
        Assert.Equal(0.9, items[0].GetProperty("attainment").GetDouble(), 9);
        Assert.False(items[1].GetProperty("breaching").GetBoolean());
        Assert.Equal(1, consumers.GetProperty("breaching").GetInt32());

        // The list carries every SLO with its status.
        var list = await Host.GetJsonAsync("api/v1/slos", owner);
        Assert.Equal(3, list.GetProperty("items").GetArrayLength());
        Assert.All(list.GetProperty("items").EnumerateArray(), s => Assert.Equal(200, s.GetProperty("status").GetProperty("requests").GetInt64()));
    }

    [Fact]
    public async Task Writes_are_for_admins_bad_bodies_name_their_field_and_another_tenant_sees_nothing()
    {
        var (_, owner) = await TenantWithTrafficAsync();
        var viewer = await People.InviteAndAcceptAsync(Host, owner, "viewer");
        var body = new { name = "Availability", sli = new { type = "availability" }, objective = 0.999, window = "30d" };
        var (viewerStatus, _) = await Host.SendJsonAsync(HttpMethod.Post, "api/v1/slos", viewer.AccessToken, body);
        Assert.Equal(HttpStatusCode.Forbidden, viewerStatus);
        var created = await CreateAsync(owner, body);
        var id = created.GetProperty("id").GetString();
        Assert.Equal(HttpStatusCode.OK, (await Host.SendJsonAsync(HttpMethod.Get, $"api/v1/slos/{id}", viewer.AccessToken)).Status);

        var (taken, _) = await Host.SendJsonAsync(HttpMethod.Post, "api/v1/slos", owner, body with { });
        Assert.Equal(HttpStatusCode.Conflict, taken);
        var (bad, problem) = await Host.SendJsonAsync(HttpMethod.Post, "api/v1/slos", owner,
            new { name = "x", filters = new { route = "/v1/checkout", consumerId = "acme" }, sli = new { type = "latency" }, objective = 2, window = "14d" });
        Assert.Equal(HttpStatusCode.BadRequest, bad);
        var fields = problem.GetProperty("errors").EnumerateArray().Select(e => e.GetProperty("field").GetString()).ToHashSet();
        Assert.Superset(new HashSet<string?> { "filters", "sli.thresholdMs", "objective", "window" }, fields);

        var stranger = await People.SignupAsync(Host, "Other SLO Co");
        Assert.Equal(HttpStatusCode.NotFound, (await Host.SendJsonAsync(HttpMethod.Get, $"api/v1/slos/{id}/status", stranger.AccessToken)).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await Host.SendJsonAsync(HttpMethod.Delete, $"api/v1/slos/{id}", stranger.AccessToken)).Status);
        Assert.Equal(0, (await Host.GetJsonAsync("api/v1/slos", stranger.AccessToken)).GetProperty("items").GetArrayLength());

        var (replaced, after) = await Host.SendJsonAsync(HttpMethod.Put, $"api/v1/slos/{id}", owner, body with { objective = 0.995 });
        Assert.Equal(HttpStatusCode.OK, replaced);
        Assert.Equal(0.995, after.GetProperty("objective").GetDouble());
        Assert.Equal(HttpStatusCode.NoContent, (await Host.SendJsonAsync(HttpMethod.Delete, $"api/v1/slos/{id}", owner)).Status);
        var audit = await Host.GetJsonAsync("api/v1/audit?limit=20", owner);
        var actions = audit.GetProperty("items").EnumerateArray().Select(e => e.GetProperty("action").GetString()).ToList();
        Assert.Contains("slo.create", actions);
        Assert.Contains("slo.update", actions);
        Assert.Contains("slo.delete", actions);
    }
}
