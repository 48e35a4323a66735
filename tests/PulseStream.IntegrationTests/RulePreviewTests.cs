using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using PulseStream.Testing;

namespace PulseStream.IntegrationTests;

/// <summary>
/// <c>POST /api/v1/alert-rules/preview</c> over past traffic whose shape is known minute by minute, so the series and
/// the would-be pending and firing intervals can be checked exactly.
/// </summary>
public class RulePreviewTests(HostFixture fixture) : IClassFixture<HostFixture>
{
    private LocalHostProcess Host => fixture.Host;

    private static object Rule(string metric, string op, double threshold, string @for = "0s", string[]? groupBy = null, int? minRequests = null, object? filters = null) => new
    {
        name = "preview", enabled = true, severity = "warning",
        condition = new { type = "threshold", metric, @operator = op, threshold, window = "5m", filters, groupBy = groupBy ?? ["route"], minRequests },
        @for,
    };

    private async Task<HttpResponseMessage> PreviewAsync(ScenarioTenant tenant, object rule, string query = "range=6h") =>
        await Host.Http.SendAsync(Host.Authorized(HttpMethod.Post, $"api/v1/alert-rules/preview?{query}", tenant.Token, rule));

    private async Task<JsonElement> PreviewOkAsync(ScenarioTenant tenant, object rule, string query = "range=6h")
    {
        using var response = await PreviewAsync(tenant, rule, query);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    private static (string State, DateTimeOffset From, DateTimeOffset To)[] Intervals(JsonElement group) =>
        group.GetProperty("intervals").EnumerateArray()
            .Select(i => (i.GetProperty("state").GetString()!, i.GetProperty("from").GetDateTimeOffset(), i.GetProperty("to").GetDateTimeOffset())).ToArray();

    private static JsonElement Group(JsonElement preview, string group) =>
        preview.GetProperty("groups").EnumerateArray().Single(g => g.GetProperty("group").GetString() == group);

    private static double? ValueAt(JsonElement group, DateTimeOffset ts)
    {
        var point = group.GetProperty("points").EnumerateArray().Single(p => p.GetProperty("ts").GetDateTimeOffset() == ts).GetProperty("value");
        return point.ValueKind == JsonValueKind.Null ? null : point.GetDouble();
    }

    /// <summary>
    /// An hour of traffic three hours ago, from <c>t0</c>: /v1/preview 10 requests a minute, half of them 503 in minutes
    /// 20-29 and all slow (900 ms, else 20 ms) in minute 40; /v1/calm 5 healthy requests a minute.
    /// </summary>
    private async Task<(ScenarioTenant Tenant, DateTimeOffset T0)> TenantWithHistoryAsync(string name)
    {
        var tenant = await NoisyTenantScenario.CreateTenantAsync(Host, name);
        var now = DateTimeOffset.UtcNow;
        var t0 = new DateTimeOffset(now.UtcTicks - now.UtcTicks % TimeSpan.TicksPerMinute, TimeSpan.Zero).AddHours(-3);
        var events = new List<object>();
        for (var minute = 0; minute < 60; minute++)
        {
            for (var i = 0; i < 10; i++)
            {
                var status = minute is >= 20 and < 30 && i < 5 ? 503 : 200;
                events.Add(Payloads.Event("/v1/preview", status, minute == 40 ? 900 : 20, at: t0.AddMinutes(minute).AddSeconds(i * 5 + 1)));
            }
            for (var i = 0; i < 5; i++) events.Add(Payloads.Event("/v1/calm", 200, 15, at: t0.AddMinutes(minute).AddSeconds(i * 10 + 2)));
        }
        await NoisyTenantScenario.SendAsync(Host, tenant, events);
        Assert.True(await LocalHostProcess.EventuallyAsync(async () => await Host.StoredEventCountAsync(tenant.TenantId) == events.Count, TimeSpan.FromSeconds(30)),
            "not stored\n" + Host.Output);
        return (tenant, t0);
    }

    [Fact]
    public async Task A_preview_shows_each_group_s_series_and_when_the_rule_would_have_been_pending_and_firing()
    {
        var (tenant, t0) = await TenantWithHistoryAsync("Preview");
        var preview = await PreviewOkAsync(tenant, Rule("error_rate", ">", 0.2, @for: "3m"));
        Assert.Equal((0.2, "1m"), (preview.GetProperty("threshold").GetDouble(), preview.GetProperty("step").GetString()));
        var to = preview.GetProperty("to").GetDateTimeOffset();
        Assert.Equal(to.AddHours(-6), preview.GetProperty("from").GetDateTimeOffset());

        // Busiest first; one point per minute over the range, the last one the window the rule evaluates now.
        Assert.Equal(["route=/v1/preview", "route=/v1/calm"], preview.GetProperty("groups").EnumerateArray().Select(g => g.GetProperty("group").GetString()));
        var errors = Group(preview, "route=/v1/preview");
        var points = errors.GetProperty("points").EnumerateArray().ToList();
        Assert.Equal(360, points.Count);
        Assert.Equal(to, points[^1].GetProperty("ts").GetDateTimeOffset());

        // The window [ts − 5m, ts): 5 error minutes in full at t0+25, none at t0+10, none before the traffic.
        Assert.Equal(0.5, ValueAt(errors, t0.AddMinutes(25))!.Value, 9);
        Assert.Equal(0.3, ValueAt(errors, t0.AddMinutes(23))!.Value, 9);
        Assert.Equal(0.0, ValueAt(errors, t0.AddMinutes(10))!.Value, 9);
        Assert.Null(ValueAt(errors, t0.AddMinutes(-10)));

        // Met from t0+23 (3 error minutes of 5) to t0+32; pending for 3 minutes, then firing until it clears at t0+33.
        Assert.Equal([("pending", t0.AddMinutes(23), t0.AddMinutes(26)), ("firing", t0.AddMinutes(26), t0.AddMinutes(33))], Intervals(errors));
        Assert.Empty(Intervals(Group(preview, "route=/v1/calm")));

        // With for 0s it fires at once; with minRequests above the window's 50 requests it never does.
        Assert.Equal([("firing", t0.AddMinutes(23), t0.AddMinutes(33))], Intervals(Group(await PreviewOkAsync(tenant, Rule("error_rate", ">", 0.2)), "route=/v1/preview")));
        Assert.Empty(Intervals(Group(await PreviewOkAsync(tenant, Rule("error_rate", ">", 0.2, minRequests: 51)), "route=/v1/preview")));
        Assert.Single(Intervals(Group(await PreviewOkAsync(tenant, Rule("error_rate", ">", 0.2, minRequests: 50)), "route=/v1/preview")));
    }

    [Fact]
    public async Task A_latency_percentile_window_slides_in_and_out_of_a_slow_minute()
    {
        var (tenant, t0) = await TenantWithHistoryAsync("Preview latency");
        // One slow minute of ten requests is a fifth of a 5-minute window: p95 is slow while the minute is in it.
        var preview = await PreviewOkAsync(tenant, Rule("latency_p95", ">", 500, filters: new { route = "/v1/preview" }, groupBy: []));
        var group = Assert.Single(preview.GetProperty("groups").EnumerateArray());
        Assert.Equal("", group.GetProperty("group").GetString());
        Assert.Equal([("firing", t0.AddMinutes(41), t0.AddMinutes(46))], Intervals(group));
        Assert.InRange(ValueAt(group, t0.AddMinutes(43))!.Value, 891, 909);
        Assert.InRange(ValueAt(group, t0.AddMinutes(46))!.Value, 19.8, 20.2);

        // The window's average, and the operators the other way round.
        var average = Assert.Single(( await PreviewOkAsync(tenant, Rule("latency_avg", "<=", 20, filters: new { route = "/v1/preview" }, groupBy: []))).GetProperty("groups").EnumerateArray());
        Assert.Equal(20.0 * 40 / 50 + 900.0 * 10 / 50, ValueAt(average, t0.AddMinutes(43))!.Value, 6);
        var quiet = Intervals(average);
        Assert.Contains(quiet, i => i.From <= t0.AddMinutes(5) && i.To == t0.AddMinutes(41));
        Assert.Contains(quiet, i => i.From == t0.AddMinutes(46));
    }

    [Fact]
    public async Task A_rule_on_a_route_grouped_by_consumer_is_previewed_from_raw_events_as_it_is_evaluated()
    {
        var (tenant, t0) = await TenantWithHistoryAsync("Preview raw");
        // No rollup set holds a route by consumer: the preview reads the raw events, and agrees with the route rule.
        var preview = await PreviewOkAsync(tenant, Rule("error_rate", ">", 0.2, filters: new { route = "/v1/preview" }, groupBy: ["consumerId"]));
        var consumer = Assert.Single(preview.GetProperty("groups").EnumerateArray());
        Assert.Equal("consumerId=c1", consumer.GetProperty("group").GetString());
        Assert.Equal([("firing", t0.AddMinutes(23), t0.AddMinutes(33))], Intervals(consumer));
        Assert.Equal(0.5, ValueAt(consumer, t0.AddMinutes(25))!.Value, 9);
        Assert.Null(ValueAt(consumer, t0.AddMinutes(-10)));

        // Latency percentiles come from the raw latencies, within the sketch's accuracy.
        var slow = Assert.Single((await PreviewOkAsync(tenant, Rule("latency_p95", ">", 500, filters: new { route = "/v1/preview" }, groupBy: ["consumerId"])))
            .GetProperty("groups").EnumerateArray());
        Assert.Equal([("firing", t0.AddMinutes(41), t0.AddMinutes(46))], Intervals(slow));
        Assert.InRange(ValueAt(slow, t0.AddMinutes(43))!.Value, 891, 909);
    }

    [Fact]
    public async Task A_preview_that_would_be_too_large_or_cannot_be_answered_is_refused_with_a_clear_400()
    {
        var tenant = await NoisyTenantScenario.CreateTenantAsync(Host, "Preview bounds");
        // 20 consumers in production, 40 in staging.
        var events = Enumerable.Range(0, 60).Select(i => new
        {
            timestamp = DateTimeOffset.UtcNow.ToString("O"), method = "GET", path = "/v1/many", route = "/v1/many", statusCode = 200, latencyMs = 10,
            consumerId = $"c{i:D2}", environment = i < 20 ? "production" : "staging",
        }).ToList();
        await NoisyTenantScenario.SendAsync(Host, tenant, events);
        Assert.True(await LocalHostProcess.EventuallyAsync(async () => await Host.StoredEventCountAsync(tenant.TenantId) == 60, TimeSpan.FromSeconds(30)));

        async Task ExpectAsync(object rule, string query, string type, string inDetail)
        {
            using var response = await PreviewAsync(tenant, rule, query);
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, body);
            var problem = JsonDocument.Parse(body).RootElement;
            Assert.EndsWith("/" + type, problem.GetProperty("type").GetString());
            Assert.Contains(inDetail, problem.GetProperty("detail").GetString());
        }
        var perConsumer = Rule("request_count", ">", 1, groupBy: ["consumerId"]);
        var production = Rule("request_count", ">", 1, groupBy: ["consumerId"], filters: new { environment = "production" });
        // The groups are read up to one past the bound, not all of them: the answer says "more than", not how many.
        await ExpectAsync(perConsumer, "range=1h", "preview-too-large", "more than 50 groups");
        // 20 groups over 7 days at 1m are 201,600 points; at 5m, 40,320.
        await ExpectAsync(production, "range=7d", "preview-too-large", "20 groups × 10080 evaluations");
        var fiveMinutes = await PreviewOkAsync(tenant, production, "range=7d&step=5m");
        Assert.Equal(20, fiveMinutes.GetProperty("groups").GetArrayLength());
        Assert.All(fiveMinutes.GetProperty("groups").EnumerateArray(), g => Assert.Equal(2016, g.GetProperty("points").GetArrayLength()));

        await ExpectAsync(production, "range=8d", "invalid-range", "7d");
        await ExpectAsync(production, "range=6h&step=10s", "invalid-step", "1m");
        // A route with a consumer grouping is read from raw events, under the same bound.
        await ExpectAsync(Rule("request_count", ">", 1, groupBy: ["consumerId"], filters: new { route = "/v1/many" }), "range=1h", "preview-too-large", "more than 50 groups");
        var rawProduction = await PreviewOkAsync(tenant, Rule("request_count", ">", 1, groupBy: ["consumerId"], filters: new { route = "/v1/many", environment = "production" }), "range=1h");
        Assert.Equal(20, rawProduction.GetProperty("groups").GetArrayLength());
        await ExpectAsync(Rule("cpu", ">", 1), "range=1h", "invalid-rule", "not valid");

        // Nothing was saved.
        Assert.Equal(0, await Host.ScalarAsync("SELECT count(*) FROM alert_rules WHERE tenant_id = $1", tenant.TenantId));
    }
}
