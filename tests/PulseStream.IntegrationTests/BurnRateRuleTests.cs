using System.Net;
using System.Text.Json;
using PulseStream.Testing;

namespace PulseStream.IntegrationTests;

/// <summary>
/// Burn-rate rules against the real host, on six hours of generated traffic whose budget consumption per window is
/// known: every SLO is 95 % over 30 days (a budget of 5 % bad), so a route with a share <c>e</c> of bad requests burns
/// at <c>e / 0.05</c>, and each rule must fire when, and only when, the workbook's table says (page: 14.4 over 1 h and
/// 5 min, or 6 over 6 h and 30 min; ticket: 1 over 3 days and 6 h).
/// </summary>
public class BurnRateRuleTests(HostFixture fixture) : IClassFixture<HostFixture>
{
    private const string Password = "a long password for burn rates";
    private const int Minutes = 360, PerMinute = 4;
    private LocalHostProcess Host => fixture.Host;

    /// <summary>
    /// Per route, how many of each minute's 4 requests fail (by minutes ago) and how many are slow:
    /// <c>/down</c> all (burn 20), <c>/burning</c> half (burn 10), <c>/recovered</c> all until 40 minutes ago and none
    /// since (burn ≈ 17.8 over 6 h, 0 over 30 min), <c>/trickle</c> one every other minute (burn 2.5), <c>/healthy</c>
    /// none, but half of its requests take 300 ms.
    /// </summary>
    private static IEnumerable<object> Traffic(DateTimeOffset now, params string[] only)
    {
        for (var ago = 1; ago <= Minutes; ago++)
        {
            var at = now.AddMinutes(-ago).ToString("O");
            foreach (var (route, consumer, failing, slow) in new[]
            {
                ("/down", "acme", PerMinute, 0), ("/burning", "globex", PerMinute / 2, 0), ("/recovered", "globex", ago > 40 ? PerMinute : 0, 0),
                ("/trickle", "globex", ago % 2 == 0 ? 1 : 0, 0), ("/healthy", "globex", 0, PerMinute / 2),
            })
            {
                if (only.Length > 0 && !only.Contains(route)) continue;
                for (var i = 0; i < PerMinute; i++)
                    yield return new
                    {
                        timestamp = at, method = "GET", path = route, route, statusCode = i < failing ? 503 : 200, latencyMs = i < slow ? 300 : 20, consumerId = consumer,
                    };
            }
        }
    }

    private async Task IngestAsync(string apiKey, IEnumerable<object> events)
    {
        foreach (var batch in events.Chunk(1000))
            using (var post = await Host.Http.SendAsync(Host.Ingest("api/v1/events/batch", Payloads.Batch(batch), apiKey)))
                Assert.Equal(HttpStatusCode.Accepted, post.StatusCode);
    }

    private async Task<string> CreateAsync(string token, string path, object body)
    {
        var (status, created) = await Host.SendJsonAsync(HttpMethod.Post, path, token, body);
        Assert.True(status == HttpStatusCode.Created, created.ToString());
        return created.GetProperty("id").GetString()!;
    }

    private static object Slo(string name, object? filters = null, object? sli = null, object? perConsumer = null) =>
        new { name, filters, sli = sli ?? new { type = "availability" }, objective = 0.95, window = "30d", perConsumer };

    private static object BurnRule(string name, string sloId, string level) =>
        new { name, enabled = true, severity = level == "page" ? "critical" : "warning", condition = new { type = "burn_rate", sloId, level } };

    [Fact]
    public async Task Each_burn_rate_rule_fires_when_and_only_when_the_workbook_says()
    {
        var tenant = await Provisioning.For(Host).CreateTenantAsync("Burn Co", $"burn-{Guid.NewGuid():N}@example.com", Password, default);
        var owner = await Host.LoginAsync(tenant.OwnerEmail, Password);
        var events = Traffic(DateTimeOffset.UtcNow).ToList();
        await IngestAsync(tenant.ApiKey, events);
        Assert.True(await LocalHostProcess.EventuallyAsync(async () => await Host.StoredEventCountAsync(tenant.TenantId) == events.Count, TimeSpan.FromSeconds(60)));

        // rule name → whether it must fire (and, per consumer, which groups).
        var expected = new Dictionary<string, string[]>();
        foreach (var route in new[] { "/down", "/burning", "/recovered", "/trickle", "/healthy" })
        {
            var slo = await CreateAsync(owner, "api/v1/slos", Slo($"{route} availability", new { route }));
            await CreateAsync(owner, "api/v1/alert-rules", BurnRule($"{route} page", slo, "page"));
            await CreateAsync(owner, "api/v1/alert-rules", BurnRule($"{route} ticket", slo, "ticket"));
        }
        expected["/down page"] = expected["/burning page"] = [""];
        expected["/down ticket"] = expected["/burning ticket"] = expected["/recovered ticket"] = expected["/trickle ticket"] = [""];
        // Latency within 100 ms: half of /healthy's requests are slower, a burn of 10, paged through the 6 h pair.
        var latency = await CreateAsync(owner, "api/v1/slos", Slo("/healthy latency", new { route = "/healthy" }, new { type = "latency", thresholdMs = 100 }));
        await CreateAsync(owner, "api/v1/alert-rules", BurnRule("/healthy latency page", latency, "page"));
        expected["/healthy latency page"] = [""];
        // Per consumer: acme calls only /down (burn 20); globex's mix stays below the page factors in every pair.
        var perConsumer = await CreateAsync(owner, "api/v1/slos", Slo("Each consumer", perConsumer: new { top = 10 }));
        await CreateAsync(owner, "api/v1/alert-rules", BurnRule("Each consumer page", perConsumer, "page"));
        expected["Each consumer page"] = ["consumerId=acme"];

        var rules = (await Host.GetJsonAsync("api/v1/alert-rules", owner)).GetProperty("items").EnumerateArray()
            .ToDictionary(r => r.GetProperty("id").GetString()!, r => r.GetProperty("name").GetString()!);
        Dictionary<string, string[]> firing = [];
        var settled = await LocalHostProcess.EventuallyAsync(async () =>
        {
            var all = (await Host.GetJsonAsync("api/v1/alert-rules", owner)).GetProperty("items").EnumerateArray().ToList();
            var alerts = (await Host.GetJsonAsync("api/v1/alerts?state=firing&limit=100", owner)).GetProperty("items").EnumerateArray();
            firing = alerts.GroupBy(a => rules[a.GetProperty("ruleId").GetString()!])
                .ToDictionary(g => g.Key, g => g.Select(a => a.GetProperty("group").GetString()!).Order().ToArray());
            return all.All(r => r.TryGetProperty("evaluation", out var e) && e.ValueKind == JsonValueKind.Object)
                && firing.Count == expected.Count && expected.All(e => firing.TryGetValue(e.Key, out var groups) && groups.SequenceEqual(e.Value));
        }, TimeSpan.FromSeconds(90));
        Assert.True(settled, $"firing: {JsonSerializer.Serialize(firing)}");

        // Every rule was evaluated without error, and the values are the scores: /down's page is its burn (20) over the
        // 6 h pair's factor (6); its ticket 20 over 1.
        var evaluated = (await Host.GetJsonAsync("api/v1/alert-rules", owner)).GetProperty("items").EnumerateArray().ToList();
        Assert.All(evaluated, r => Assert.Equal(JsonValueKind.Null, r.GetProperty("evaluation").GetProperty("lastError").ValueKind));
        var values = (await Host.GetJsonAsync("api/v1/alerts?state=firing&limit=100", owner)).GetProperty("items").EnumerateArray()
            .ToDictionary(a => (rules[a.GetProperty("ruleId").GetString()!], a.GetProperty("group").GetString()), a => a.GetProperty("value").GetDouble());
        Assert.Equal(20.0 / 6, values[("/down page", "")], 6);
        Assert.Equal(20, values[("/down ticket", "")], 6);
        var down = evaluated.Single(r => r.GetProperty("name").GetString() == "/down page").GetProperty("condition");
        Assert.Equal(("burn_rate", ">=", 1.0, "5m", "page"), (down.GetProperty("metric").GetString(), down.GetProperty("operator").GetString(),
            down.GetProperty("threshold").GetDouble(), down.GetProperty("window").GetString(), down.GetProperty("level").GetString()));
    }

    [Fact]
    public async Task The_preview_shows_the_score_and_would_be_alerts_and_an_slo_in_use_cannot_be_deleted()
    {
        var tenant = await Provisioning.For(Host).CreateTenantAsync("Burn Preview Co", $"burnp-{Guid.NewGuid():N}@example.com", Password, default);
        var owner = await Host.LoginAsync(tenant.OwnerEmail, Password);
        var events = Traffic(DateTimeOffset.UtcNow, "/down", "/healthy").ToList();
        await IngestAsync(tenant.ApiKey, events);
        Assert.True(await LocalHostProcess.EventuallyAsync(async () => await Host.StoredEventCountAsync(tenant.TenantId) == events.Count, TimeSpan.FromSeconds(60)));
        var down = await CreateAsync(owner, "api/v1/slos", Slo("/down availability", new { route = "/down" }));
        var healthy = await CreateAsync(owner, "api/v1/slos", Slo("/healthy availability", new { route = "/healthy" }));

        // Over the last 6 hours every 5 minutes: /down's page score climbs to 20 / 6 and would have fired; /healthy's stays 0.
        var (status, preview) = await Host.SendJsonAsync(HttpMethod.Post, "api/v1/alert-rules/preview?range=6h&step=5m", owner, BurnRule("p", down, "page"));
        Assert.True(status == HttpStatusCode.OK, preview.ToString());
        var group = Assert.Single(preview.GetProperty("groups").EnumerateArray());
        var points = group.GetProperty("points").EnumerateArray().ToList();
        Assert.Equal(72, points.Count);
        Assert.Equal(20.0 / 6, points[^1].GetProperty("value").GetDouble(), 6);
        Assert.Contains(group.GetProperty("intervals").EnumerateArray(), i => i.GetProperty("state").GetString() == "firing" && i.GetProperty("ongoing").GetBoolean());
        var (_, quiet) = await Host.SendJsonAsync(HttpMethod.Post, "api/v1/alert-rules/preview?range=6h&step=5m", owner, BurnRule("q", healthy, "ticket"));
        var calm = Assert.Single(quiet.GetProperty("groups").EnumerateArray());
        Assert.Empty(calm.GetProperty("intervals").EnumerateArray());
        Assert.All(calm.GetProperty("points").EnumerateArray().Skip(1), p => Assert.Equal(0, p.GetProperty("value").GetDouble()));

        // A rule reading the SLO keeps it from being deleted; without it, the delete goes through.
        var rule = await CreateAsync(owner, "api/v1/alert-rules", BurnRule("/down page", down, "page"));
        var (inUse, problem) = await Host.SendJsonAsync(HttpMethod.Delete, $"api/v1/slos/{down}", owner);
        Assert.Equal(HttpStatusCode.Conflict, inUse);
        Assert.Contains("/down page", problem.GetProperty("detail").GetString());
        Assert.Equal(HttpStatusCode.NoContent, (await Host.SendJsonAsync(HttpMethod.Delete, $"api/v1/alert-rules/{rule}", owner)).Status);
        Assert.Equal(HttpStatusCode.NoContent, (await Host.SendJsonAsync(HttpMethod.Delete, $"api/v1/slos/{down}", owner)).Status);

        // A rule may not name an SLO that does not exist, or another tenant's.
        var stranger = await People.SignupAsync(Host, "Burn Stranger Co");
        var (foreign, refused) = await Host.SendJsonAsync(HttpMethod.Post, "api/v1/alert-rules", stranger.AccessToken, BurnRule("theirs", healthy, "page"));
        Assert.Equal(HttpStatusCode.BadRequest, foreign);
        Assert.Contains(refused.GetProperty("errors").EnumerateArray(), e => e.GetProperty("field").GetString() == "condition.sloId");
        var (previewForeign, _) = await Host.SendJsonAsync(HttpMethod.Post, "api/v1/alert-rules/preview", stranger.AccessToken, BurnRule("theirs", healthy, "page"));
        Assert.Equal(HttpStatusCode.BadRequest, previewForeign);
    }
}
