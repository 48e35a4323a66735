using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using PulseStream.Tenancy;
using PulseStream.Testing;

namespace PulseStream.IntegrationTests;

/// <summary>
/// Anomaly rules against the real host, on four days of flat traffic (one request a minute per route): enough for a
/// daily baseline, not for a weekly one. In the last ten minutes <c>/spiky</c> takes fifteen a minute, <c>/quiet</c>
/// none, <c>/steady</c> carries on, and <c>/young</c> (seen for a day only, still warming up) takes fifteen a minute
/// too. A rule per route must fire on <c>/spiky</c> and <c>/quiet</c> only, say which groups warm up, and a rule on
/// <c>/young</c> with a static fallback fires by its fallback.
/// </summary>
public class AnomalyRuleTests(HostFixture fixture) : IClassFixture<HostFixture>
{
    private const string Password = "a long password for anomalies";
    private LocalHostProcess Host => fixture.Host;

    private static IEnumerable<object> Traffic(DateTimeOffset now)
    {
        object Event(DateTimeOffset at, string route) => new { timestamp = at.ToString("O"), method = "GET", path = route, route, statusCode = 200, latencyMs = 20 };
        for (var ago = 11; ago <= 4 * 24 * 60; ago++)
            foreach (var route in new[] { "/steady", "/spiky", "/quiet" }.Concat(ago <= 24 * 60 ? ["/young"] : Array.Empty<string>()))
                yield return Event(now.AddMinutes(-ago), route);
        for (var ago = 1; ago <= 10; ago++)
        {
            yield return Event(now.AddMinutes(-ago), "/steady");
            if (ago is < 2 or > 9) continue;
            for (var i = 0; i < 15; i++)
            {
                yield return Event(now.AddMinutes(-ago).AddSeconds(i), "/spiky");
                yield return Event(now.AddMinutes(-ago).AddSeconds(i), "/young");
            }
        }
    }

    private Task StoreAsync(ProvisionedTenant tenant, List<object> events) => Host.StoreEventsAsync(tenant.ApiKey, tenant.TenantId, events);

    private static object Rule(string name, object condition) => new { name, enabled = true, severity = "warning", condition };

    [Fact]
    public async Task A_spike_and_a_silence_fire_against_the_daily_baseline_and_a_warming_up_group_waits_or_uses_its_fallback()
    {
        var tenant = await Provisioning.For(Host).CreateTenantAsync("Anomaly Co", $"anomaly-{Guid.NewGuid():N}@example.com", Password, default);
        var owner = await Host.LoginAsync(tenant.OwnerEmail, Password);
        await StoreAsync(tenant, Traffic(DateTimeOffset.UtcNow).ToList());

        var (status, perRoute) = await Host.SendJsonAsync(HttpMethod.Post, "api/v1/alert-rules", owner,
            Rule("Traffic per route", new { type = "anomaly", metric = "request_count", groupBy = new[] { "route" } }));
        Assert.True(status == HttpStatusCode.Created, perRoute.ToString());
        var condition = perRoute.GetProperty("condition");
        Assert.Equal(("medium", "both", "10m", ">=", 1.0), (condition.GetProperty("sensitivity").GetString(), condition.GetProperty("direction").GetString(),
            condition.GetProperty("window").GetString(), condition.GetProperty("operator").GetString(), condition.GetProperty("threshold").GetDouble()));
        var (youngStatus, young) = await Host.SendJsonAsync(HttpMethod.Post, "api/v1/alert-rules", owner,
            Rule("Young route", new { type = "anomaly", metric = "request_count", direction = "above", filters = new { route = "/young" }, fallback = new { @operator = ">", threshold = 100 } }));
        Assert.True(youngStatus == HttpStatusCode.Created, young.ToString());
        var ids = new Dictionary<string, string> { [perRoute.GetProperty("id").GetString()!] = "per route", [young.GetProperty("id").GetString()!] = "young" };

        string[] firing = [];
        var settled = await LocalHostProcess.EventuallyAsync(async () =>
        {
            firing = (await Host.GetJsonAsync("api/v1/alerts?state=firing&limit=100", owner)).GetProperty("items").EnumerateArray()
                .Select(a => $"{ids[a.GetProperty("ruleId").GetString()!]}:{a.GetProperty("group").GetString()}").Order().ToArray();
            return firing.SequenceEqual(["per route:route=/quiet", "per route:route=/spiky", "young:"]);
        }, TimeSpan.FromSeconds(60));
        if (!settled)
        {
            var states = (await Host.GetJsonAsync("api/v1/alert-rules", owner)).GetProperty("items").EnumerateArray().Select(r => r.GetProperty("evaluation").ToString());
            var all = await Host.GetJsonAsync("api/v1/alerts?limit=100", owner);
            var baselineDump = await Host.GetJsonAsync($"api/v1/alert-rules/{perRoute.GetProperty("id").GetString()}/baselines", owner);
            Assert.Fail($"firing: {string.Join(", ", firing)}; evaluations: {string.Join(" ", states)}; alerts: {all}; baselines: {baselineDump}; host: {string.Join("\n", Host.Output.Split('\n').Where(l => l.Contains("fail") || l.Contains("Exception") || l.Contains("   at ")).TakeLast(40))}");
        }
        var rules = (await Host.GetJsonAsync("api/v1/alert-rules", owner)).GetProperty("items").EnumerateArray().ToList();
        Assert.All(rules, r => Assert.Equal(JsonValueKind.Null, r.GetProperty("evaluation").GetProperty("lastError").ValueKind));

        // The baselines say who is judged how: three routes by the hour of the day (four days of history: the weekly
        // baseline comes at three weeks), /young warming up until its third day.
        var baselines = await Host.GetJsonAsync($"api/v1/alert-rules/{perRoute.GetProperty("id").GetString()}/baselines", owner);
        Assert.Equal(("3d", "21d"), (baselines.GetProperty("dailyWarmUp").GetString(), baselines.GetProperty("weeklyWarmUp").GetString()));
        var groups = baselines.GetProperty("groups").EnumerateArray().ToDictionary(g => g.GetProperty("group").GetString()!, g => g);
        Assert.Equal(["route=/quiet", "route=/spiky", "route=/steady", "route=/young"], groups.Keys.Order().ToArray());
        Assert.All(new[] { "route=/quiet", "route=/spiky", "route=/steady" }, g => Assert.Equal("daily", groups[g].GetProperty("status").GetString()));
        var youngGroup = groups["route=/young"];
        Assert.Equal("warming-up", youngGroup.GetProperty("status").GetString());
        Assert.Equal(youngGroup.GetProperty("historyFrom").GetDateTimeOffset().AddDays(3), youngGroup.GetProperty("dailyFrom").GetDateTimeOffset());
        Assert.Equal(youngGroup.GetProperty("historyFrom").GetDateTimeOffset().AddDays(21), youngGroup.GetProperty("weeklyFrom").GetDateTimeOffset());

        // The preview over the last hour: the band, the observed values and the would-be alerts, point by point.
        var (previewStatus, preview) = await Host.SendJsonAsync(HttpMethod.Post, "api/v1/alert-rules/preview?range=1h&step=5m", owner,
            Rule("Traffic per route", new { type = "anomaly", metric = "request_count", groupBy = new[] { "route" } }));
        Assert.True(previewStatus == HttpStatusCode.OK, preview.ToString());
        var previewed = preview.GetProperty("groups").EnumerateArray().ToDictionary(g => g.GetProperty("group").GetString()!, g => g);
        var spiky = previewed["route=/spiky"].GetProperty("points").EnumerateArray().Last();
        var spikyBand = spiky.GetProperty("band");
        Assert.Equal("daily", spikyBand.GetProperty("status").GetString());
        Assert.InRange(spikyBand.GetProperty("expected").GetDouble(), 8, 12);
        Assert.True(spikyBand.GetProperty("observed").GetDouble() > spikyBand.GetProperty("upper").GetDouble(), spiky.ToString());
        Assert.True(spiky.GetProperty("value").GetDouble() >= 1, spiky.ToString());
        Assert.Contains(previewed["route=/spiky"].GetProperty("intervals").EnumerateArray(), i => i.GetProperty("state").GetString() == "firing" && i.GetProperty("ongoing").GetBoolean());
        var steady = previewed["route=/steady"];
        Assert.Empty(steady.GetProperty("intervals").EnumerateArray());
        Assert.All(steady.GetProperty("points").EnumerateArray(), p => Assert.True(p.GetProperty("value").GetDouble() < 1, p.ToString()));
        var youngPoint = previewed["route=/young"].GetProperty("points").EnumerateArray().Last();
        Assert.Equal(("warming-up", JsonValueKind.Null), (youngPoint.GetProperty("band").GetProperty("status").GetString(), youngPoint.GetProperty("value").ValueKind));

        // Changed to another metric, the rule is not judged against the old metric's baselines: its next evaluation makes new ones.
        var ruleId = perRoute.GetProperty("id").GetString();
        var (putStatus, changed) = await Host.SendJsonAsync(HttpMethod.Put, $"api/v1/alert-rules/{ruleId}", owner,
            Rule("Traffic per route", new { type = "anomaly", metric = "latency_p95", direction = "above", groupBy = new[] { "route" } }));
        Assert.True(putStatus == HttpStatusCode.OK, changed.ToString());
        var changedAt = changed.GetProperty("updatedAt").GetDateTimeOffset();
        Assert.True(await LocalHostProcess.EventuallyAsync(async () =>
        {
            var remade = (await Host.GetJsonAsync($"api/v1/alert-rules/{ruleId}/baselines", owner)).GetProperty("groups").EnumerateArray().ToList();
            return remade.Count == 4 && remade.All(g => g.GetProperty("computedAt").GetDateTimeOffset() >= changedAt);
        }, TimeSpan.FromSeconds(30)), "the baselines were not remade for the changed rule");
        Assert.Equal("latency_p95", (await Host.GetJsonAsync($"api/v1/alert-rules/{ruleId}/baselines", owner)).GetProperty("metric").GetString());

        // Another tenant sees neither the rule nor its baselines.
        var other = await Provisioning.For(Host).CreateTenantAsync("Anomaly Other", $"anomaly-o-{Guid.NewGuid():N}@example.com", Password, default);
        var otherToken = await Host.LoginAsync(other.OwnerEmail, Password);
        using var foreign = await Host.Http.SendAsync(Host.Authorized(HttpMethod.Get, $"api/v1/alert-rules/{perRoute.GetProperty("id").GetString()}/baselines", otherToken));
        Assert.Equal(HttpStatusCode.NotFound, foreign.StatusCode);
    }

    /// <summary>
    /// Four days of clean traffic (each minute: /a from alice, /b from alice and from bob, /c from nobody), then ten
    /// minutes in which bob's calls to /b fail: a quarter of the API's requests.
    /// </summary>
    private static IEnumerable<object> FailingConsumer(DateTimeOffset now)
    {
        object Event(DateTimeOffset at, string route, string? consumerId, int status) =>
            new { timestamp = at.ToString("O"), method = "GET", path = route, route, statusCode = status, latencyMs = 20, consumerId };
        for (var ago = 1; ago <= 4 * 24 * 60; ago++)
        {
            var at = now.AddMinutes(-ago);
            yield return Event(at, "/a", "alice", 200);
            yield return Event(at, "/b", "alice", 200);
            yield return Event(at, "/b", "bob", ago <= 10 ? 500 : 200);
            yield return Event(at, "/c", null, 200);
        }
    }

    [Fact]
    public async Task An_anomaly_alert_explains_itself_with_its_band_and_the_route_and_consumer_behind_the_change()
    {
        var tenant = await Provisioning.For(Host).CreateTenantAsync("Anomaly Why", $"anomaly-w-{Guid.NewGuid():N}@example.com", Password, default);
        var owner = await Host.LoginAsync(tenant.OwnerEmail, Password);
        await StoreAsync(tenant, FailingConsumer(DateTimeOffset.UtcNow).ToList());
        var (channelStatus, slack) = await Host.SendJsonAsync(HttpMethod.Post, "api/v1/channels", owner,
            new { type = "slack", name = "#api", url = new Uri(Host.BaseUrl, "local/format-sink/slack").ToString() });
        Assert.True(channelStatus == HttpStatusCode.Created, slack.ToString());
        var name = $"API errors {Guid.NewGuid():N}";
        var (status, rule) = await Host.SendJsonAsync(HttpMethod.Post, "api/v1/alert-rules", owner, new
        {
            name, enabled = true, severity = "critical", groupWait = "0s",
            condition = new { type = "anomaly", metric = "error_rate", direction = "above" },
            channelIds = new[] { slack.GetProperty("id").GetString() },
        });
        Assert.True(status == HttpStatusCode.Created, rule.ToString());

        JsonElement alert = default;
        Assert.True(await LocalHostProcess.EventuallyAsync(async () =>
        {
            var items = (await Host.GetJsonAsync("api/v1/alerts?state=firing", owner)).GetProperty("items").EnumerateArray().ToList();
            if (items.Count == 1) alert = items[0];
            return items.Count == 1;
        }, TimeSpan.FromSeconds(60)), "the error-rate anomaly did not fire");
        var explanation = (await Host.GetJsonAsync($"api/v1/alerts/{alert.GetProperty("id").GetString()}", owner)).GetProperty("explanation");

        // The band: nothing failed in four days, so the expected rate is 0 and a quarter is far above the band.
        Assert.Equal(("error_rate", "daily", "above"), (explanation.GetProperty("metric").GetString(), explanation.GetProperty("seasonality").GetString(),
            explanation.GetProperty("direction").GetString()));
        Assert.Equal(0.25, explanation.GetProperty("observed").GetDouble(), 6);
        Assert.InRange(explanation.GetProperty("expected").GetDouble(), 0, 0.001);
        Assert.True(explanation.GetProperty("upper").GetDouble() < 0.25, explanation.ToString());
        Assert.True(explanation.GetProperty("sigmas").GetDouble() > 4.5, explanation.ToString());
        Assert.Equal(TimeSpan.FromMinutes(10), explanation.GetProperty("to").GetDateTimeOffset() - explanation.GetProperty("from").GetDateTimeOffset());
        Assert.Equal(JsonValueKind.Null, explanation.GetProperty("note").ValueKind);

        // Compared with the same ten minutes on each of the three days before: all of the change is /b, all of it bob.
        var comparison = explanation.GetProperty("comparison");
        Assert.Equal(("error_rate", 3, 0.0, 0.25), (comparison.GetProperty("basis").GetString(), comparison.GetProperty("windows").GetArrayLength(),
            comparison.GetProperty("before").GetDouble(), comparison.GetProperty("now").GetDouble()));
        var contributors = explanation.GetProperty("contributors").EnumerateArray()
            .Select(c => (c.GetProperty("dimension").GetString(), c.TryGetProperty("method", out var m) ? m.GetString() : null, c.GetProperty("value").GetString(),
                c.GetProperty("contribution").GetDouble(), c.GetProperty("share").GetDouble()))
            .ToList();
        Assert.Equal([("route", "GET", "/b", 0.25, 1.0), ("consumerId", null, "bob", 0.25, 1.0)], contributors);
        var bob = explanation.GetProperty("contributors")[1];
        // Bob's own figures: all of his calls failed now, none before; the window's newest minute has no traffic yet.
        Assert.Equal((1.0, 0.0, 10.0), (bob.GetProperty("now").GetDouble(), bob.GetProperty("before").GetDouble(), bob.GetProperty("requestsBefore").GetDouble()));
        Assert.InRange(bob.GetProperty("requests").GetInt64(), 8, 9);

        // The notification quotes the band and the route and consumer, not a threshold the rule does not have.
        string? text = null;
        Assert.True(await LocalHostProcess.EventuallyAsync(async () =>
        {
            text = (await Host.Http.GetFromJsonAsync<JsonElement>("local/format-sink")).EnumerateArray()
                .Where(m => m.GetProperty("service").GetString() == "slack")
                .Select(m => m.GetProperty("body").GetProperty("text").GetString())
                .FirstOrDefault(t => t is not null && t.Contains(name, StringComparison.Ordinal));
            return text is not null;
        }, TimeSpan.FromSeconds(30)), "no Slack message for the anomaly");
        Assert.Contains("observed 25%, expected 0%", text);
        Assert.Contains("σ above; most of the change: route GET /b +25% (100%), consumer bob +25% (100%)", text);
        Assert.DoesNotContain("threshold", text);
    }

    [Theory]
    [InlineData("""{"type":"anomaly","metric":"request_count","sensitivity":"extreme"}""", "condition.sensitivity")]
    [InlineData("""{"type":"anomaly","metric":"request_count","direction":"sideways"}""", "condition.direction")]
    [InlineData("""{"type":"anomaly","metric":"bytes"}""", "condition.metric")]
    [InlineData("""{"type":"anomaly","metric":"error_rate","threshold":0.05}""", "condition.threshold")]
    [InlineData("""{"type":"anomaly","metric":"error_rate","window":"2m"}""", "condition.window")]
    [InlineData("""{"type":"anomaly","metric":"error_rate","filters":{"route":"/a"},"groupBy":["consumerId"]}""", "condition.filters")]
    [InlineData("""{"type":"anomaly","metric":"error_rate","fallback":{"operator":"=","threshold":1}}""", "condition.fallback.operator")]
    [InlineData("""{"type":"anomaly","metric":"error_rate","recoveryThreshold":0.01}""", "condition.recoveryThreshold")]
    [InlineData("""{"type":"threshold","metric":"error_rate","operator":">","threshold":0.1,"window":"5m","sensitivity":"high"}""", "condition.sensitivity")]
    public async Task A_broken_anomaly_condition_is_refused_naming_its_field(string condition, string field)
    {
        var tenant = await Provisioning.For(Host).CreateTenantAsync("Anomaly Bad", $"anomaly-b-{Guid.NewGuid():N}@example.com", Password, default);
        var owner = await Host.LoginAsync(tenant.OwnerEmail, Password);
        var body = JsonSerializer.Deserialize<JsonElement>($$"""{"name":"bad","enabled":true,"severity":"info","condition":{{condition}}}""");
        var (status, problem) = await Host.SendJsonAsync(HttpMethod.Post, "api/v1/alert-rules", owner, body);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains(problem.GetProperty("errors").EnumerateArray(), e => e.GetProperty("field").GetString() == field);
    }
}
