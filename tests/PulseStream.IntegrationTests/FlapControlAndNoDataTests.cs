using System.Net;
using System.Text.Json;
using PulseStream.Testing;

namespace PulseStream.IntegrationTests;

/// <summary>
/// Flap control and no data as a tenant observes them through the host: a rule with a recovery threshold stays firing
/// between the two thresholds and resolves below the lower one; <c>keepFiringFor</c> holds a cleared alert firing (a
/// returning condition opens no second alert and notifies nobody again), then resolves; a consumer that stops calling
/// fires a <c>noData: alerting</c> rule and a <c>request_count &lt; 1</c> rule. Time is compressed as elsewhere: events
/// stamped in the past for silence, and the stored <c>cleared_at</c> moved back for <c>keepFiringFor</c>.
/// </summary>
public class FlapControlAndNoDataTests(HostFixture fixture) : IClassFixture<HostFixture>
{
    private LocalHostProcess Host => fixture.Host;

    private const string Password = "a long password 123";

    private sealed record Scenario(Guid TenantId, string ApiKey, string Token, Guid ChannelId);

    private async Task<Scenario> NewTenantAsync(string name)
    {
        var provisioner = Provisioning.For(Host);
        var tenant = await provisioner.CreateTenantAsync(name, $"f-{Guid.NewGuid():N}@example.com", Password, default);
        var channel = await provisioner.CreateWebhookChannelAsync(tenant.TenantId, "nobody listens", new Uri($"http://127.0.0.1:{TestEnvironment.FreePort()}/hook"), default);
        return new Scenario(tenant.TenantId, tenant.ApiKey, await Host.LoginAsync(tenant.OwnerEmail, Password), channel.ChannelId);
    }

    /// <summary>An error-rate rule on one route, with any further rule fields: its id.</summary>
    private async Task<Guid> CreateRuleAsync(Scenario s, string route, double? recoveryThreshold = null, string? keepFiringFor = null)
    {
        var (status, body) = await Host.SendJsonAsync(HttpMethod.Post, "api/v1/alert-rules", s.Token, new Dictionary<string, object?>
        {
            ["name"] = $"Errors on {route}", ["enabled"] = true, ["severity"] = "critical", ["for"] = "0s",
            ["condition"] = new { type = "threshold", metric = "error_rate", @operator = ">", threshold = 0.2, window = "5m", filters = new { route }, minRequests = 20, recoveryThreshold },
            ["keepFiringFor"] = keepFiringFor,
            ["channelIds"] = new[] { s.ChannelId },
            ["groupWait"] = "0s", ["groupInterval"] = "0s",
        });
        Assert.True(status == HttpStatusCode.Created, body.ToString());
        return body.GetProperty("id").GetGuid();
    }

    private async Task PostAsync(Scenario s, IEnumerable<object> events)
    {
        using var response = await Host.Http.SendAsync(Host.Ingest("api/v1/events/batch", Payloads.Batch(events), s.ApiKey));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }

    private Task PostAsync(Scenario s, string route, int status, int count) =>
        PostAsync(s, Enumerable.Range(0, count).Select(_ => Payloads.Event(route, status, 40)));

    private async Task WaitAsync(Func<Task<bool>> condition, string what) =>
        Assert.True(await LocalHostProcess.EventuallyAsync(condition, TimeSpan.FromSeconds(60)), what + "\n" + Host.Output);

    /// <summary>Waits until the rule has been evaluated after now (each batch marks the tenant's rules due; a 1-event batch of a route no rule reads nudges it).</summary>
    private async Task WaitForEvaluationAsync(Scenario s, Guid ruleId)
    {
        var after = DateTimeOffset.UtcNow;
        await WaitAsync(async () =>
        {
            await PostAsync(s, [Payloads.Event("/v1/nudge", 200, 5, consumerId: "nudge")]);
            var rule = await Host.GetJsonAsync($"api/v1/alert-rules/{ruleId}", s.Token);
            return rule.GetProperty("evaluation") is { ValueKind: JsonValueKind.Object } e && e.GetProperty("lastEvaluatedAt").GetDateTimeOffset() > after;
        }, "the rule was not evaluated again");
    }

    /// <summary>Nudges evaluation until <paramref name="condition"/> holds: a batch on a route no rule reads marks the tenant's rules due.</summary>
    private Task WaitNudgingAsync(Scenario s, Func<Task<bool>> condition, string what) => WaitAsync(async () =>
    {
        await PostAsync(s, [Payloads.Event("/v1/nudge", 200, 5, consumerId: "nudge")]);
        return await condition();
    }, what);

    /// <summary>Waits until every event sent so far is stored, then until two evaluations have run since: they saw them.</summary>
    private async Task WaitUntilEvaluatedAsync(Scenario s, Guid ruleId, long sent)
    {
        await WaitAsync(async () => await Host.StoredEventCountAsync(s.TenantId) >= sent, "the events were not stored");
        await WaitForEvaluationAsync(s, ruleId);
        await WaitForEvaluationAsync(s, ruleId);
    }

    private Task<long> AlertsAsync(Scenario s, string state) =>
        Host.ScalarAsync("SELECT count(*) FROM alerts WHERE tenant_id = $1 AND state = $2", s.TenantId, state);

    private Task<long> NotificationsAsync(Scenario s, string kind) =>
        Host.ScalarAsync("SELECT count(*) FROM notification_outbox WHERE tenant_id = $1 AND event_type = $2", s.TenantId, kind);

    [Fact]
    public async Task A_rule_with_a_recovery_threshold_fires_above_the_threshold_stays_firing_between_and_resolves_below_the_recovery_threshold()
    {
        var s = await NewTenantAsync("Hysteresis Co");
        var ruleId = await CreateRuleAsync(s, "/v1/hyst", recoveryThreshold: 0.05);

        // 30 of 30 fail: above 0.2, it fires.
        await PostAsync(s, "/v1/hyst", 503, 30);
        await WaitNudgingAsync(s, async () => await AlertsAsync(s, "firing") == 1, "the rule did not fire");

        // 30 of 180 fail (0.17): below the threshold, above the recovery threshold: it goes on firing.
        await PostAsync(s, "/v1/hyst", 200, 150);
        await WaitUntilEvaluatedAsync(s, ruleId, 180);
        Assert.Equal(1, await AlertsAsync(s, "firing"));
        Assert.Equal(0, await AlertsAsync(s, "resolved"));

        // 30 of 780 fail (0.04): below the recovery threshold, it resolves, once.
        await PostAsync(s, "/v1/hyst", 200, 600);
        await WaitNudgingAsync(s, async () => await AlertsAsync(s, "resolved") == 1, "the alert did not resolve below the recovery threshold");
        Assert.Equal(0, await AlertsAsync(s, "firing"));
        var alert = Assert.Single((await Host.GetJsonAsync("api/v1/alerts?state=resolved", s.Token)).GetProperty("items").EnumerateArray());
        Assert.True(alert.GetProperty("value").GetDouble() < 0.05);
        await WaitAsync(async () => await NotificationsAsync(s, "alert.resolved") == 1, "the resolve was not notified");
        Assert.Equal(1, await NotificationsAsync(s, "alert.firing"));
    }

    [Fact]
    public async Task Keep_firing_for_holds_a_cleared_alert_firing_a_returning_condition_notifies_nobody_and_it_resolves_once_the_time_passed()
    {
        var s = await NewTenantAsync("Keep firing Co");
        var ruleId = await CreateRuleAsync(s, "/v1/keep", keepFiringFor: "1h");
        Task<long> Clearing() => Host.ScalarAsync("SELECT count(*) FROM alerts WHERE tenant_id = $1 AND state = 'firing' AND cleared_at IS NOT NULL", s.TenantId);

        await PostAsync(s, "/v1/keep", 503, 30);
        await WaitNudgingAsync(s, async () => await AlertsAsync(s, "firing") == 1, "the rule did not fire");

        // The condition clears (30 of 430 fail): the alert stays firing, its keepFiringFor clock started.
        await PostAsync(s, "/v1/keep", 200, 400);
        await WaitNudgingAsync(s, async () => await Clearing() == 1, "the cleared condition was not noticed");
        Assert.Equal(0, await AlertsAsync(s, "resolved"));

        // The condition returns within keepFiringFor (330 of 730): the same alert goes on firing, the clock reset, no second alert.
        await PostAsync(s, "/v1/keep", 503, 300);
        await WaitNudgingAsync(s, async () => await Clearing() == 0, "the returning condition did not reset the clock");
        Assert.Equal(1, await Host.ScalarAsync("SELECT count(*) FROM alerts WHERE tenant_id = $1", s.TenantId));
        Assert.Equal(1, await AlertsAsync(s, "firing"));

        // It clears again (330 of 1,930) and stays firing; the hour is made to pass by moving the clock's start back:
        // it resolves, notified once, as it fired once.
        for (var i = 0; i < 3; i++) await PostAsync(s, "/v1/keep", 200, 400);
        await WaitNudgingAsync(s, async () => await Clearing() == 1, "the second clear was not noticed");
        await WaitForEvaluationAsync(s, ruleId);
        Assert.Equal(1, await AlertsAsync(s, "firing"));
        await Host.ScalarAsync("UPDATE alerts SET cleared_at = cleared_at - interval '1 hour' WHERE tenant_id = $1 AND cleared_at IS NOT NULL", s.TenantId);
        await WaitNudgingAsync(s, async () => await AlertsAsync(s, "resolved") == 1, "the alert did not resolve after keepFiringFor");
        await WaitAsync(async () => await NotificationsAsync(s, "alert.resolved") == 1, "the resolve was not notified");
        Assert.Equal(1, await NotificationsAsync(s, "alert.firing"));
    }

    [Fact]
    public async Task A_consumer_that_stops_calling_fires_a_no_data_alerting_rule_and_a_request_count_rule_and_calling_again_resolves_them()
    {
        var s = await NewTenantAsync("Silent consumer Co");
        async Task<Guid> Create(object rule)
        {
            var (status, body) = await Host.SendJsonAsync(HttpMethod.Post, "api/v1/alert-rules", s.Token, rule);
            Assert.True(status == HttpStatusCode.Created, body.ToString());
            return body.GetProperty("id").GetGuid();
        }
        var noDataRule = await Create(new
        {
            name = "Consumer errors or silence", enabled = true, severity = "warning", @for = "0s", noData = "alerting",
            condition = new { type = "threshold", metric = "error_rate", @operator = ">", threshold = 0.5, window = "5m", filters = new { route = "/v1/orders" }, groupBy = new[] { "consumerId" } },
        });
        var countRule = await Create(new
        {
            name = "Consumer stopped", enabled = true, severity = "warning", @for = "0s",
            condition = new { type = "threshold", metric = "request_count", @operator = "<", threshold = 1, window = "5m", filters = new { route = "/v1/orders" }, groupBy = new[] { "consumerId" } },
        });

        // "gone" called 7 minutes ago (outside the 5-minute window and noDataFor, inside the 10 minutes that make it
        // known), "live" calls now; both healthy.
        var ago = DateTimeOffset.UtcNow.AddMinutes(-7);
        await PostAsync(s, Enumerable.Range(0, 10).Select(i => Payloads.Event("/v1/orders", 200, 20, consumerId: "gone", at: ago.AddSeconds(i))));
        await PostAsync(s, Enumerable.Range(0, 10).Select(_ => Payloads.Event("/v1/orders", 200, 20, consumerId: "live")));

        async Task<List<JsonElement>> FiringAsync() =>
            (await Host.GetJsonAsync("api/v1/alerts?state=firing", s.Token)).GetProperty("items").EnumerateArray().ToList();
        await WaitAsync(async () =>
        {
            await PostAsync(s, [Payloads.Event("/v1/orders", 200, 20, consumerId: "live")]);
            return (await FiringAsync()).Count == 2;
        }, "the silent consumer did not fire both rules");
        var firing = await FiringAsync();
        Assert.All(firing, a => Assert.Equal("consumerId=gone", a.GetProperty("group").GetString()));
        var noData = Assert.Single(firing, a => a.GetProperty("ruleId").GetGuid() == noDataRule);
        Assert.False(noData.TryGetProperty("value", out var v) && v.ValueKind == JsonValueKind.Number, "a no-data alert has no value");
        Assert.Equal(0, Assert.Single(firing, a => a.GetProperty("ruleId").GetGuid() == countRule).GetProperty("value").GetDouble());

        // "gone" calls again, healthily: both resolve; "live" never alerted.
        await WaitAsync(async () =>
        {
            await PostAsync(s, [Payloads.Event("/v1/orders", 200, 20, consumerId: "gone")]);
            return await AlertsAsync(s, "resolved") == 2;
        }, "the consumer calling again did not resolve both alerts");
        Assert.Equal(0, await Host.ScalarAsync("SELECT count(*) FROM alerts WHERE tenant_id = $1 AND group_key = 'consumerId=live'", s.TenantId));
    }

    [Fact]
    public async Task A_rule_shows_the_new_fields_with_their_defaults_round_trips_them_and_refuses_a_recovery_threshold_on_the_firing_side()
    {
        var s = await NewTenantAsync("Rule fields Co");
        var ruleId = await CreateRuleAsync(s, "/v1/fields");
        var rule = await Host.GetJsonAsync($"api/v1/alert-rules/{ruleId}", s.Token);
        Assert.Equal("0s", rule.GetProperty("keepFiringFor").GetString());
        Assert.Equal("ok", rule.GetProperty("noData").GetString());
        Assert.Equal("5m", rule.GetProperty("noDataFor").GetString());
        Assert.Equal(JsonValueKind.Null, rule.GetProperty("condition").GetProperty("recoveryThreshold").ValueKind);

        var body = new
        {
            name = "Errors with flap control", enabled = true, severity = "critical", @for = "1m", keepFiringFor = "10m", noData = "keepState", noDataFor = "15m",
            condition = new { type = "threshold", metric = "error_rate", @operator = ">", threshold = 0.05, window = "5m", recoveryThreshold = 0.02 },
        };
        var (status, put) = await Host.SendJsonAsync(HttpMethod.Put, $"api/v1/alert-rules/{ruleId}", s.Token, body);
        Assert.True(status == HttpStatusCode.OK, put.ToString());
        rule = await Host.GetJsonAsync($"api/v1/alert-rules/{ruleId}", s.Token);
        Assert.Equal(("10m", "keepState", "15m", 0.02), (rule.GetProperty("keepFiringFor").GetString(), rule.GetProperty("noData").GetString(),
            rule.GetProperty("noDataFor").GetString(), rule.GetProperty("condition").GetProperty("recoveryThreshold").GetDouble()));

        var (refused, problem) = await Host.SendJsonAsync(HttpMethod.Put, $"api/v1/alert-rules/{ruleId}", s.Token, body with
        {
            condition = body.condition with { recoveryThreshold = 0.08 },
        });
        Assert.Equal(HttpStatusCode.BadRequest, refused);
        var error = Assert.Single(problem.GetProperty("errors").EnumerateArray());
        Assert.Equal("condition.recoveryThreshold", error.GetProperty("field").GetString());
        Assert.Contains("0.05", error.GetProperty("message").GetString());
        var (tooShort, shortProblem) = await Host.SendJsonAsync(HttpMethod.Post, "api/v1/alert-rules", s.Token, body with { noDataFor = "1m" });
        Assert.Equal(HttpStatusCode.BadRequest, tooShort);
        Assert.Equal("noDataFor", Assert.Single(shortProblem.GetProperty("errors").EnumerateArray()).GetProperty("field").GetString());
        // Unchanged by the refused writes.
        Assert.Equal(0.02, (await Host.GetJsonAsync($"api/v1/alert-rules/{ruleId}", s.Token)).GetProperty("condition").GetProperty("recoveryThreshold").GetDouble());
    }

    /// <summary>An error-rate rule on <paramref name="route"/> above 0.5 with flap detection of 3 changes within 30m.</summary>
    private async Task CreateFlappingRuleAsync(Scenario s, string route)
    {
        var (created, body) = await Host.SendJsonAsync(HttpMethod.Post, "api/v1/alert-rules", s.Token, new
        {
            name = "Flapping errors", enabled = true, severity = "critical", @for = "0s",
            condition = new { type = "threshold", metric = "error_rate", @operator = ">", threshold = 0.5, window = "5m", filters = new { route }, minRequests = 20 },
            flapDetection = new { changes = 3, within = "30m" },
            channelIds = new[] { s.ChannelId }, groupWait = "0s", groupInterval = "0s",
        });
        Assert.True(created == HttpStatusCode.Created, body.ToString());
        Assert.Equal(3, body.GetProperty("flapDetection").GetProperty("changes").GetInt32());
    }

    private async Task SendAsync(Scenario s, string route, int status, int count)
    {
        for (var sent = 0; sent < count; sent += 100) await PostAsync(s, route, status, Math.Min(100, count - sent));
    }

    /// <summary>
    /// Swings the route's error rate across 0.5 four times (each step doubles the traffic: 1, 0.33, 0.67, 0.33): fire,
    /// resolve, fire are as many changes as allowed, each opening or resolving an alert as ever; the fourth is one too
    /// many within 30m, so the open alert (in <paramref name="openState"/>) does not resolve but is marked flapping.
    /// </summary>
    private async Task OscillateIntoFlappingAsync(Scenario s, string route, string openState)
    {
        await SendAsync(s, route, 503, 20);
        await WaitNudgingAsync(s, async () => await AlertsAsync(s, openState) == 1, "the rule did not fire");
        await SendAsync(s, route, 200, 40);
        await WaitNudgingAsync(s, async () => await AlertsAsync(s, "resolved") == 1, "the alert did not resolve");
        await SendAsync(s, route, 503, 60);
        await WaitNudgingAsync(s, async () => await AlertsAsync(s, openState) == 1, "the rule did not fire again");
        await SendAsync(s, route, 200, 120);
        await WaitNudgingAsync(s, async () => await Host.ScalarAsync(
            "SELECT count(*) FROM alerts WHERE tenant_id = $1 AND state <> 'resolved' AND flapping_since IS NOT NULL", s.TenantId) == 1,
            "the alert was not marked flapping");
    }

    [Fact]
    public async Task A_muted_flapping_alert_holds_its_flapping_notification_until_the_silence_ends_and_a_person_can_acknowledge_and_resolve_it()
    {
        var s = await NewTenantAsync("Muted flapping Co");
        const string route = "/v1/mutedflap";
        await CreateFlappingRuleAsync(s, route);
        var (silenced, silence) = await Host.SendJsonAsync(HttpMethod.Post, "api/v1/silences", s.Token, new
        {
            matchers = new[] { new { name = "route", op = "=", value = route } }, endsAt = DateTimeOffset.UtcNow.AddHours(1), comment = "flaky deploy",
        });
        Assert.Equal(HttpStatusCode.Created, silenced);

        await OscillateIntoFlappingAsync(s, route, "firing");
        var alert = Assert.Single((await Host.GetJsonAsync("api/v1/alerts?state=firing", s.Token)).GetProperty("items").EnumerateArray());
        var alertId = alert.GetProperty("id").GetGuid();
        Assert.True(alert.GetProperty("flapping").GetBoolean());
        Assert.Equal("silence", alert.GetProperty("silenced").GetProperty("kind").GetString());
        // Muted: nothing was enqueued, the flap notification included.
        Assert.Equal(0, await Host.ScalarAsync("SELECT count(*) FROM notification_outbox WHERE tenant_id = $1", s.TenantId));

        // The silence ends while it flaps: its held notification goes out, once, as alert.flapping.
        Assert.Equal(HttpStatusCode.NoContent, (await Host.SendJsonAsync(HttpMethod.Delete, $"api/v1/silences/{silence.GetProperty("id").GetGuid()}", s.Token)).Status);
        await WaitAsync(async () => await NotificationsAsync(s, "alert.flapping") == 1, "the held flapping notification was not released");
        Assert.Equal(0, await NotificationsAsync(s, "alert.firing"));

        // A person acknowledges it: it stays flapping, and the acknowledgement notifies as ever.
        Assert.Equal(HttpStatusCode.OK, (await Host.SendJsonAsync(HttpMethod.Post, $"api/v1/alerts/{alertId}/ack", s.Token)).Status);
        var acknowledged = await Host.GetJsonAsync($"api/v1/alerts/{alertId}", s.Token);
        Assert.Equal(("acknowledged", true), (acknowledged.GetProperty("state").GetString(), acknowledged.GetProperty("flapping").GetBoolean()));
        Assert.Equal(1, await NotificationsAsync(s, "alert.acknowledged"));

        // And resolves it: resolved, no longer shown flapping, notified.
        Assert.Equal(HttpStatusCode.OK, (await Host.SendJsonAsync(HttpMethod.Post, $"api/v1/alerts/{alertId}/resolve", s.Token)).Status);
        var resolved = await Host.GetJsonAsync($"api/v1/alerts/{alertId}", s.Token);
        Assert.Equal(("resolved", false), (resolved.GetProperty("state").GetString(), resolved.GetProperty("flapping").GetBoolean()));
        Assert.Equal(1, await NotificationsAsync(s, "alert.resolved"));
        Assert.Equal(1, await NotificationsAsync(s, "alert.flapping"));
    }

    [Fact]
    public async Task A_flapping_group_stays_one_open_alert_notifies_alert_flapping_once_summarises_its_flaps_and_resolves_once_quiet_for_the_span()
    {
        await using var receiver = await RecordingReceiver.StartAsync();
        var provisioner = Provisioning.For(Host);
        var tenant = await provisioner.CreateTenantAsync("Flapping Co", $"f-{Guid.NewGuid():N}@example.com", Password, default);
        var channel = await provisioner.CreateWebhookChannelAsync(tenant.TenantId, "on call", new Uri(receiver.Url()), default);
        var s = new Scenario(tenant.TenantId, tenant.ApiKey, await Host.LoginAsync(tenant.OwnerEmail, Password), channel.ChannelId);
        const string route = "/v1/flap";
        await CreateFlappingRuleAsync(s, route);
        Task<long> Flaps(bool firing, int changes) => Host.ScalarAsync(
            "SELECT count(*) FROM alert_flaps WHERE tenant_id = $1 AND underneath_firing = $2 AND flapping_changes = $3", s.TenantId, firing, changes);
        async Task<JsonElement> OpenAlertAsync() =>
            Assert.Single((await Host.GetJsonAsync("api/v1/alerts?state=firing", s.Token)).GetProperty("items").EnumerateArray());
        List<string> Received() => receiver.Received.Select(r => JsonDocument.Parse(r.Body).RootElement.GetProperty("type").GetString()!).ToList();

        await OscillateIntoFlappingAsync(s, route, "firing");
        var alert = await OpenAlertAsync();
        var alertId = alert.GetProperty("id").GetGuid();
        Assert.Equal(JsonValueKind.String, alert.GetProperty("flappingSince").ValueKind);

        // Two more flaps: the same alert stays open, counting them, notifying nobody.
        await SendAsync(s, route, 503, 240);
        await WaitNudgingAsync(s, async () => await Flaps(firing: true, changes: 1) == 1, "the flap back to firing was not counted");
        await SendAsync(s, route, 200, 480);
        await WaitNudgingAsync(s, async () => await Flaps(firing: false, changes: 2) == 1, "the flap to clear was not counted");
        Assert.Equal(alertId, (await OpenAlertAsync()).GetProperty("id").GetGuid());
        Assert.Equal(2, await Host.ScalarAsync("SELECT count(*) FROM alerts WHERE tenant_id = $1", s.TenantId));

        // One alert.flapping reached the webhook, after the two firings and the one resolve before it: not one per flap.
        await WaitAsync(async () => { await Task.Yield(); return Received().Contains("alert.flapping"); }, "the flapping notification did not arrive");
        await WaitAsync(async () => await NotificationsAsync(s, "alert.flapping") == 1 && Received().Count == 4, "the notifications were not all delivered");
        // Deliveries of different alerts may arrive in either order.
        Assert.Equal(["alert.firing", "alert.firing", "alert.flapping", "alert.resolved"], Received().Order(StringComparer.Ordinal).ToList());
        var flapping = receiver.Received.Select(r => JsonDocument.Parse(r.Body).RootElement).Single(r => r.GetProperty("type").GetString() == "alert.flapping").GetProperty("alert");
        Assert.True(flapping.GetProperty("flapping").GetBoolean());
        Assert.Equal(alertId, flapping.GetProperty("id").GetGuid());

        var timeline = (await Host.GetJsonAsync($"api/v1/alerts/{alertId}", s.Token)).GetProperty("timeline").EnumerateArray()
            .Where(e => e.GetProperty("kind").GetString() == "flapping").Select(e => e.GetProperty("message").GetString()!).ToList();
        Assert.Contains("changed state 4 times within 30m", Assert.Single(timeline));

        // Its state does not change for 30m (the stored change times are moved back): it stops flapping and, clear, resolves once.
        await Host.ScalarAsync("""
            UPDATE alert_flaps SET changes = ARRAY(SELECT c - interval '30 minutes' FROM unnest(changes) c), last_change_at = last_change_at - interval '30 minutes'
            WHERE tenant_id = $1
            """, s.TenantId);
        await WaitNudgingAsync(s, async () => await AlertsAsync(s, "resolved") == 2, "the quiet flapping alert did not resolve");
        var resolved = await Host.GetJsonAsync($"api/v1/alerts/{alertId}", s.Token);
        Assert.Equal("resolved", resolved.GetProperty("state").GetString());
        Assert.False(resolved.GetProperty("flapping").GetBoolean());
        var summaries = resolved.GetProperty("timeline").EnumerateArray().Where(e => e.GetProperty("kind").GetString() == "flapping")
            .Select(e => e.GetProperty("message").GetString()!).ToList();
        Assert.Equal(2, summaries.Count);
        Assert.Contains("changed state 2 more times while flapping", summaries[1]);
        Assert.Contains("it resolves", summaries[1]);
        await WaitAsync(async () => { await Task.Yield(); return Received().Count == 5; }, "the resolve was not delivered");
        Assert.Equal("alert.resolved", Received()[^1]);
        Assert.Equal(1, await NotificationsAsync(s, "alert.flapping"));
        Assert.Equal(2, await NotificationsAsync(s, "alert.resolved"));
    }

    [Fact]
    public async Task Flap_detection_is_null_by_default_round_trips_and_is_refused_outside_its_limits()
    {
        var s = await NewTenantAsync("Flap fields Co");
        var ruleId = await CreateRuleAsync(s, "/v1/flapfields");
        Assert.Equal(JsonValueKind.Null, (await Host.GetJsonAsync($"api/v1/alert-rules/{ruleId}", s.Token)).GetProperty("flapDetection").ValueKind);
        object Body(object? flapDetection) => new
        {
            name = "Flap fields", enabled = true, severity = "critical", @for = "0s", flapDetection,
            condition = new { type = "threshold", metric = "error_rate", @operator = ">", threshold = 0.2, window = "5m" },
        };
        var (status, put) = await Host.SendJsonAsync(HttpMethod.Put, $"api/v1/alert-rules/{ruleId}", s.Token, Body(new { changes = 5, within = "1h" }));
        Assert.True(status == HttpStatusCode.OK, put.ToString());
        var flap = (await Host.GetJsonAsync($"api/v1/alert-rules/{ruleId}", s.Token)).GetProperty("flapDetection");
        Assert.Equal((5, "1h"), (flap.GetProperty("changes").GetInt32(), flap.GetProperty("within").GetString()));

        var (refused, problem) = await Host.SendJsonAsync(HttpMethod.Put, $"api/v1/alert-rules/{ruleId}", s.Token, Body(new { changes = 1, within = "2d" }));
        Assert.Equal(HttpStatusCode.BadRequest, refused);
        Assert.Equal(["flapDetection.changes", "flapDetection.within"],
            problem.GetProperty("errors").EnumerateArray().Select(e => e.GetProperty("field").GetString()!).Order().ToList());
    }
}
