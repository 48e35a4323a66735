using System.Net;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.AspNetCore.SignalR.Client;
using PulseStream.Testing;

namespace PulseStream.IntegrationTests;

/// <summary>
/// Alerts through their whole lifecycle as people and the live feed see them: a pending alert that clears is no
/// resolved alert, lists with filters and cursor paging, the timeline, acknowledge and resolve by role, the summary.
/// </summary>
public class AlertLifecycleTests(HostFixture fixture) : IClassFixture<HostFixture>
{
    private LocalHostProcess Host => fixture.Host;

    private const string Password = "a long password 123";

    /// <summary>A tenant of its own with a webhook channel (nobody listens: deliveries are read from the outbox) and its owner's session.</summary>
    private sealed record Scenario(Guid TenantId, string ApiKey, string Token, Guid ChannelId, string OwnerEmail);

    private async Task<Scenario> NewTenantAsync(string name)
    {
        var provisioner = Provisioning.For(Host);
        var tenant = await provisioner.CreateTenantAsync(name, $"l-{Guid.NewGuid():N}@example.com", Password, default);
        var channel = await provisioner.CreateWebhookChannelAsync(tenant.TenantId, "nobody listens", new Uri($"http://127.0.0.1:{TestEnvironment.FreePort()}/hook"), default);
        return new Scenario(tenant.TenantId, tenant.ApiKey, await Host.LoginAsync(tenant.OwnerEmail, Password), channel.ChannelId, tenant.OwnerEmail);
    }

    /// <summary>Creates an error-rate rule on one route through the API: its id.</summary>
    private async Task<Guid> CreateRuleAsync(Scenario s, string name, string route, string forDuration, string severity = "critical")
    {
        using var create = await Host.Http.SendAsync(Host.Authorized(HttpMethod.Post, "api/v1/alert-rules", s.Token, new
        {
            name,
            enabled = true,
            severity,
            condition = new { type = "threshold", metric = "error_rate", @operator = ">", threshold = 0.2, window = "5m", filters = new { route }, minRequests = 20 },
            @for = forDuration,
            channelIds = new[] { s.ChannelId },
            // Every change goes out at once: the tests here are about the lifecycle, not grouping.
            groupWait = "0s", groupInterval = "0s",
        }));
        Assert.Equal(HttpStatusCode.Created, create.StatusCode);
        return JsonDocument.Parse(await create.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetGuid();
    }

    private async Task PostAsync(Scenario s, string route, int status, int count)
    {
        using var response = await Host.Http.SendAsync(Host.Ingest("api/v1/events/batch", Payloads.Batch(Enumerable.Range(0, count).Select(_ => Payloads.Event(route, status, 40))), s.ApiKey));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }

    /// <summary>Waits until <paramref name="condition"/> holds, posting a trickle of <paramref name="status"/> events meanwhile: each batch marks the tenant's rules due.</summary>
    private async Task WaitWhilePostingAsync(Scenario s, string route, int status, Func<Task<bool>> condition, string what)
    {
        Assert.True(await LocalHostProcess.EventuallyAsync(async () =>
        {
            await PostAsync(s, route, status, status >= 500 ? 1 : 20);
            return await condition();
        }, TimeSpan.FromSeconds(60)), what + "\n" + Host.Output);
    }

    private Task<long> AlertsInStateAsync(Scenario s, string state) =>
        Host.ScalarAsync("SELECT count(*) FROM alerts WHERE tenant_id = $1 AND state = $2", s.TenantId, state);

    /// <summary>A live connection made through negotiate, as the dashboard makes it: the <c>alert</c> messages it receives.</summary>
    private async Task<(HubConnection Connection, Channel<JsonElement> Alerts)> SubscribeAsync(string token)
    {
        var (url, accessToken) = await Host.NegotiateAsync(token);
        var connection = new HubConnectionBuilder()
            .WithUrl(url, options => options.AccessTokenProvider = () => Task.FromResult<string?>(accessToken))
            .Build();
        var alerts = Channel.CreateUnbounded<JsonElement>();
        connection.On<JsonElement>("alert", alert => alerts.Writer.TryWrite(alert));
        await connection.StartAsync();
        return (connection, alerts);
    }

    private static List<JsonElement> Drain(Channel<JsonElement> messages)
    {
        var all = new List<JsonElement>();
        while (messages.Reader.TryRead(out var message)) all.Add(message);
        return all;
    }

    [Fact]
    public async Task A_pending_alert_that_clears_before_firing_is_never_resolved_listed_or_notified()
    {
        var s = await NewTenantAsync("Pending Co");
        var (connection, live) = await SubscribeAsync(s.Token);
        await using var _ = connection;
        await CreateRuleAsync(s, "Slow to fire", "/v1/flaky", "1h");

        // Errors make the condition true: pending, for an hour before it would fire.
        await PostAsync(s, "/v1/flaky", 503, 30);
        await WaitWhilePostingAsync(s, "/v1/flaky", 503, async () => await AlertsInStateAsync(s, "pending") == 1, "no pending alert");
        var pending = await Host.GetJsonAsync("api/v1/alerts?state=pending", s.Token);
        Assert.Equal("pending", Assert.Single(pending.GetProperty("items").EnumerateArray()).GetProperty("state").GetString());

        // Healthy traffic clears it before it fires.
        await PostAsync(s, "/v1/flaky", 200, 400);
        await WaitWhilePostingAsync(s, "/v1/flaky", 200, async () => await AlertsInStateAsync(s, "pending") == 0, "the pending alert did not clear");

        // Not resolved anywhere: no list shows it, no row keeps it, nobody is notified.
        Assert.Empty((await Host.GetJsonAsync("api/v1/alerts", s.Token)).GetProperty("items").EnumerateArray());
        Assert.Empty((await Host.GetJsonAsync("api/v1/alerts?state=resolved", s.Token)).GetProperty("items").EnumerateArray());
        Assert.Equal(0, await Host.ScalarAsync("SELECT count(*) FROM alerts WHERE tenant_id = $1", s.TenantId));
        Assert.Equal(0, await Host.ScalarAsync("SELECT count(*) FROM notification_outbox WHERE tenant_id = $1", s.TenantId));
        var summary = await Host.GetJsonAsync("api/v1/alerts/summary", s.Token);
        Assert.Equal(0, summary.GetProperty("byState").GetProperty("resolved").GetInt64());
        Assert.Equal(0, summary.GetProperty("mttr").GetProperty("count").GetInt64());
        Assert.Empty(summary.GetProperty("noisiestRules").EnumerateArray());

        // The live feed saw it pending, then dropped, never resolved.
        Assert.True(await LocalHostProcess.EventuallyAsync(() => Task.FromResult(live.Reader.Count >= 2), TimeSpan.FromSeconds(10)), "the live feed missed a transition");
        var states = Drain(live).Select(a => a.GetProperty("state").GetString()).ToList();
        Assert.Equal("pending", states[0]);
        Assert.Contains("dropped", states);
        Assert.DoesNotContain("resolved", states);
    }

    [Fact]
    public async Task An_alert_is_pushed_live_pending_firing_acknowledged_and_resolved_and_its_timeline_shows_who_did_what()
    {
        var s = await NewTenantAsync("Lifecycle Co");
        var viewer = await People.InviteAndAcceptAsync(Host, s.Token, "viewer");
        var (connection, live) = await SubscribeAsync(viewer.AccessToken);
        await using var _ = connection;
        var ruleId = await CreateRuleAsync(s, "Payments failing", "/v1/pay", "2s");

        await PostAsync(s, "/v1/pay", 503, 30);
        await WaitWhilePostingAsync(s, "/v1/pay", 503, async () => await AlertsInStateAsync(s, "firing") == 1, "the alert did not fire");
        var firing = Assert.Single((await Host.GetJsonAsync("api/v1/alerts?state=firing", viewer.AccessToken)).GetProperty("items").EnumerateArray());
        var alertId = firing.GetProperty("id").GetGuid();
        Assert.Equal(ruleId, firing.GetProperty("ruleId").GetGuid());
        Assert.Equal(JsonValueKind.String, firing.GetProperty("firingAt").ValueKind);
        Assert.Equal(JsonValueKind.Null, firing.GetProperty("acknowledgedBy").ValueKind);
        Assert.Equal(JsonValueKind.Null, firing.GetProperty("resolvedBy").ValueKind);

        // A Viewer acknowledges but may not resolve; an Admin (the owner) resolves, saying why.
        using (var refused = await Host.Http.SendAsync(Host.Authorized(HttpMethod.Post, $"api/v1/alerts/{alertId}/resolve", viewer.AccessToken)))
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        using (var ack = await Host.Http.SendAsync(Host.Authorized(HttpMethod.Post, $"api/v1/alerts/{alertId}/ack", viewer.AccessToken)))
        {
            Assert.Equal(HttpStatusCode.OK, ack.StatusCode);
            var acknowledged = JsonDocument.Parse(await ack.Content.ReadAsStringAsync()).RootElement;
            Assert.Equal("acknowledged", acknowledged.GetProperty("state").GetString());
            Assert.Equal(viewer.Id, acknowledged.GetProperty("acknowledgedBy").GetProperty("userId").GetGuid());
            Assert.Equal(viewer.Email, acknowledged.GetProperty("acknowledgedBy").GetProperty("email").GetString());
        }
        using (var tooLong = await Host.Http.SendAsync(Host.Authorized(HttpMethod.Post, $"api/v1/alerts/{alertId}/resolve", s.Token, new { reason = new string('x', 501) })))
            await IngestPipelineTests.AssertProblem(tooLong, HttpStatusCode.BadRequest, "invalid-resolve");
        using (var resolve = await Host.Http.SendAsync(Host.Authorized(HttpMethod.Post, $"api/v1/alerts/{alertId}/resolve", s.Token, new { reason = "rolled back the deploy" })))
        {
            Assert.Equal(HttpStatusCode.OK, resolve.StatusCode);
            var resolved = JsonDocument.Parse(await resolve.Content.ReadAsStringAsync()).RootElement;
            Assert.Equal("resolved", resolved.GetProperty("state").GetString());
            Assert.Equal(s.OwnerEmail, resolved.GetProperty("resolvedBy").GetProperty("email").GetString());
            Assert.Equal("rolled back the deploy", resolved.GetProperty("resolvedReason").GetString());
            Assert.Equal(viewer.Id, resolved.GetProperty("acknowledgedBy").GetProperty("userId").GetGuid());
        }
        using (var again = await Host.Http.SendAsync(Host.Authorized(HttpMethod.Post, $"api/v1/alerts/{alertId}/resolve", s.Token)))
            await IngestPipelineTests.AssertProblem(again, HttpStatusCode.Conflict, "invalid-transition");
        using (var lateAck = await Host.Http.SendAsync(Host.Authorized(HttpMethod.Post, $"api/v1/alerts/{alertId}/ack", viewer.AccessToken)))
            await IngestPipelineTests.AssertProblem(lateAck, HttpStatusCode.Conflict, "invalid-transition");
        using (var foreign = await Host.Http.SendAsync(Host.Authorized(HttpMethod.Get, $"api/v1/alerts/{alertId}", await Host.LoginAsync())))
            await IngestPipelineTests.AssertProblem(foreign, HttpStatusCode.NotFound, "not-found");

        // Both are audited, with the state before and after.
        Assert.Equal(1, await Host.ScalarAsync("SELECT count(*) FROM audit_log WHERE tenant_id = $1 AND action = 'alert.ack' AND target_id = $2 AND actor_id = $3 AND summary->'before'->>'state' = 'firing'",
            s.TenantId, alertId.ToString(), viewer.Id.ToString()));
        Assert.Equal(1, await Host.ScalarAsync("SELECT count(*) FROM audit_log WHERE tenant_id = $1 AND action = 'alert.resolve' AND target_id = $2 AND summary->'after'->>'reason' = 'rolled back the deploy'",
            s.TenantId, alertId.ToString()));

        // The live feed saw each step of this alert, in order.
        var seen = new List<string>();
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20)))
            while (!seen.Contains("resolved"))
            {
                var message = await live.Reader.ReadAsync(timeout.Token);
                if (message.GetProperty("id").GetGuid() == alertId) seen.Add(message.GetProperty("state").GetString()!);
            }
        Assert.Equal(["pending", "firing", "acknowledged", "resolved"], seen);

        // The timeline: each transition, who acknowledged and resolved, and each notification with its delivery's state.
        var detail = await Host.GetJsonAsync($"api/v1/alerts/{alertId}", viewer.AccessToken);
        Assert.Equal("resolved", detail.GetProperty("state").GetString());
        var timeline = detail.GetProperty("timeline").EnumerateArray().ToList();
        Assert.Equal(["transition:pending", "transition:firing", "ack:acknowledged", "resolve:resolved"],
            timeline.Where(e => e.GetProperty("kind").GetString() != "notification").Select(e => $"{e.GetProperty("kind").GetString()}:{e.GetProperty("state").GetString()}"));
        var ackEntry = timeline.Single(e => e.GetProperty("kind").GetString() == "ack");
        Assert.Equal(viewer.Email, ackEntry.GetProperty("actor").GetProperty("email").GetString());
        var resolveEntry = timeline.Single(e => e.GetProperty("kind").GetString() == "resolve");
        Assert.Equal(s.OwnerEmail, resolveEntry.GetProperty("actor").GetProperty("email").GetString());
        Assert.Equal("rolled back the deploy", resolveEntry.GetProperty("message").GetString());
        var notifications = timeline.Where(e => e.GetProperty("kind").GetString() == "notification").ToList();
        Assert.Equal(["alert.firing", "alert.acknowledged", "alert.resolved"], notifications.Select(e => e.GetProperty("message").GetString()));
        Assert.All(notifications, n =>
        {
            Assert.Equal(s.ChannelId, n.GetProperty("channelId").GetGuid());
            Assert.NotEqual(Guid.Empty, n.GetProperty("deliveryId").GetGuid());
            Assert.Contains(n.GetProperty("deliveryState").GetString(), new[] { "pending", "delivered", "dead" });
        });

        // The condition still holds: the next evaluation opens a new alert, which notifies again.
        await WaitWhilePostingAsync(s, "/v1/pay", 503, async () =>
            await Host.ScalarAsync("SELECT count(*) FROM alerts WHERE tenant_id = $1 AND id <> $2 AND state = 'firing'", s.TenantId, alertId) == 1, "no new alert opened");
        Assert.Equal(2, await Host.ScalarAsync("SELECT count(*) FROM notification_outbox WHERE tenant_id = $1 AND event_type = 'alert.firing'", s.TenantId));
    }

    [Fact]
    public async Task Alerts_are_listed_by_state_severity_rule_and_time_page_by_cursor_and_add_up_in_the_summary()
    {
        var s = await NewTenantAsync("Lists Co");
        string[] routes = ["/v1/r0", "/v1/r1", "/v1/r2", "/v1/r3", "/v1/r4"];
        Guid byRoute, single;
        using (var create = await Host.Http.SendAsync(Host.Authorized(HttpMethod.Post, "api/v1/alert-rules", s.Token, new
        {
            name = "Errors by route", enabled = true, severity = "critical",
            condition = new { type = "threshold", metric = "error_rate", @operator = ">", threshold = 0.2, window = "5m", groupBy = new[] { "route" }, minRequests = 20 },
            @for = "0s", channelIds = Array.Empty<Guid>(),
        })))
        {
            Assert.Equal(HttpStatusCode.Created, create.StatusCode);
            byRoute = JsonDocument.Parse(await create.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetGuid();
        }
        single = await CreateRuleAsync(s, "r0 errors", "/v1/r0", "0s", severity: "warning");

        foreach (var route in routes) await PostAsync(s, route, 503, 25);
        await WaitWhilePostingAsync(s, "/v1/r0", 503, async () => await AlertsInStateAsync(s, "firing") == 6, "six alerts did not fire");

        // Pages of two, newest first, each alert once.
        var pages = new List<List<JsonElement>>();
        string? cursor = null;
        do
        {
            var page = await Host.GetJsonAsync("api/v1/alerts?limit=2" + (cursor is null ? "" : $"&cursor={cursor}"), s.Token);
            pages.Add(page.GetProperty("items").EnumerateArray().ToList());
            cursor = page.GetProperty("next").GetString();
        } while (cursor is not null);
        var all = pages.SelectMany(p => p).ToList();
        Assert.Equal([2, 2, 2], pages.Select(p => p.Count));
        Assert.Equal(6, all.Select(a => a.GetProperty("id").GetGuid()).Distinct().Count());
        var starts = all.Select(a => a.GetProperty("startedAt").GetDateTimeOffset()).ToList();
        Assert.Equal(starts.OrderByDescending(t => t), starts);

        async Task<List<JsonElement>> ListAsync(string query) =>
            (await Host.GetJsonAsync("api/v1/alerts?" + query, s.Token)).GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(single, Assert.Single(await ListAsync("severity=warning")).GetProperty("ruleId").GetGuid());
        Assert.Equal(5, (await ListAsync($"ruleId={byRoute}&severity=critical")).Count);
        Assert.Equal(6, (await ListAsync("state=firing")).Count);
        Assert.Empty(await ListAsync("state=resolved"));
        Assert.Empty(await ListAsync($"ruleId={Guid.NewGuid()}"));
        foreach (var (query, type) in new[]
        {
            ("state=closed", "invalid-state"), ("severity=urgent", "invalid-severity"), ("ruleId=abc", "invalid-rule-id"), ("since=yesterday", "invalid-since"),
            ("cursor=abc", "invalid-cursor"), ("limit=0", "invalid-limit"), ("limit=201", "invalid-limit"),
        })
        {
            using var bad = await Host.Http.SendAsync(Host.Authorized(HttpMethod.Get, "api/v1/alerts?" + query, s.Token));
            await IngestPipelineTests.AssertProblem(bad, HttpStatusCode.BadRequest, type);
        }
        using (var notAnId = await Host.Http.SendAsync(Host.Authorized(HttpMethod.Get, "api/v1/alerts/not-an-id", s.Token)))
            await IngestPipelineTests.AssertProblem(notAnId, HttpStatusCode.NotFound, "not-found");

        // Nobody acknowledged anything yet: the oldest firing alert is the oldest unacknowledged.
        var summary = await Host.GetJsonAsync("api/v1/alerts/summary", s.Token);
        Assert.Equal("7d", summary.GetProperty("window").GetString());
        Assert.Equal(6, summary.GetProperty("open").GetInt64());
        Assert.Equal(6, summary.GetProperty("byState").GetProperty("firing").GetInt64());
        Assert.Equal(5, summary.GetProperty("bySeverity").GetProperty("critical").GetInt64());
        Assert.Equal(1, summary.GetProperty("bySeverity").GetProperty("warning").GetInt64());
        Assert.Equal(all[^1].GetProperty("id").GetGuid(), summary.GetProperty("oldestUnacknowledged").GetProperty("id").GetGuid());
        Assert.Equal(0, summary.GetProperty("mtta").GetProperty("count").GetInt64());
        Assert.Equal(JsonValueKind.Null, summary.GetProperty("mtta").GetProperty("mean").ValueKind);
        var noisiest = summary.GetProperty("noisiestRules").EnumerateArray().ToList();
        Assert.Equal([(byRoute, 5L), (single, 1L)], noisiest.Select(r => (r.GetProperty("ruleId").GetGuid(), r.GetProperty("alerts").GetInt64())));
        Assert.Equal("Errors by route", noisiest[0].GetProperty("ruleName").GetString());

        // One acknowledged, then resolved: MTTA and MTTR count it, measured from firing; since= leaves out what resolved before it.
        var target = all[0].GetProperty("id").GetGuid();
        using (var ack = await Host.Http.SendAsync(Host.Authorized(HttpMethod.Post, $"api/v1/alerts/{target}/ack", s.Token))) Assert.Equal(HttpStatusCode.OK, ack.StatusCode);
        using (var resolve = await Host.Http.SendAsync(Host.Authorized(HttpMethod.Post, $"api/v1/alerts/{target}/resolve", s.Token))) Assert.Equal(HttpStatusCode.OK, resolve.StatusCode);
        var resolvedAlert = await Host.GetJsonAsync($"api/v1/alerts/{target}", s.Token);
        Assert.Equal("resolved manually", resolvedAlert.GetProperty("resolvedReason").GetString());
        var resolvedAt = resolvedAlert.GetProperty("resolvedAt").GetDateTimeOffset();
        var firedAt = resolvedAlert.GetProperty("firingAt").GetDateTimeOffset();
        var ackedAt = resolvedAlert.GetProperty("acknowledgedAt").GetDateTimeOffset();
        summary = await Host.GetJsonAsync("api/v1/alerts/summary?window=24h", s.Token);
        Assert.Equal("24h", summary.GetProperty("window").GetString());
        Assert.Equal(1, summary.GetProperty("mtta").GetProperty("count").GetInt64());
        Assert.Equal((ackedAt - firedAt).TotalSeconds, summary.GetProperty("mtta").GetProperty("mean").GetDouble(), 0.01);
        Assert.Equal((ackedAt - firedAt).TotalSeconds, summary.GetProperty("mtta").GetProperty("p90").GetDouble(), 0.01);
        Assert.Equal(1, summary.GetProperty("mttr").GetProperty("count").GetInt64());
        Assert.Equal((resolvedAt - firedAt).TotalSeconds, summary.GetProperty("mttr").GetProperty("p50").GetDouble(), 0.01);
        Assert.Equal(1, summary.GetProperty("byState").GetProperty("resolved").GetInt64());
        Assert.Equal(target, Assert.Single(await ListAsync("state=resolved")).GetProperty("id").GetGuid());

        var after = Uri.EscapeDataString(resolvedAt.AddSeconds(1).ToString("yyyy-MM-ddTHH:mm:ss.fffZ", System.Globalization.CultureInfo.InvariantCulture));
        var before = Uri.EscapeDataString(resolvedAt.AddSeconds(-1).ToString("yyyy-MM-ddTHH:mm:ss.fffZ", System.Globalization.CultureInfo.InvariantCulture));
        Assert.DoesNotContain(await ListAsync($"since={after}"), a => a.GetProperty("id").GetGuid() == target);
        Assert.Contains(await ListAsync($"since={before}"), a => a.GetProperty("id").GetGuid() == target);

        foreach (var window in new[] { "0m", "91d", "week" })
        {
            using var bad = await Host.Http.SendAsync(Host.Authorized(HttpMethod.Get, $"api/v1/alerts/summary?window={window}", s.Token));
            await IngestPipelineTests.AssertProblem(bad, HttpStatusCode.BadRequest, "invalid-window");
        }
    }
}
