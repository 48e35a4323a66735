using System.Net;
using System.Text.Json;
using PulseStream.Testing;

namespace PulseStream.IntegrationTests;

/// <summary>
/// What a silence does to real alerts (issue 14 §3): a silenced alert is still evaluated and visible, marked silenced,
/// and notifies nobody; when the silence ends while it still fires, its firing notification goes out then, once; an
/// alert acknowledged or resolved while muted notifies nobody of that either; a silence made to expire on resolve ends
/// when its alert resolves. Observed through the API: the alert, its timeline and the delivery log.
/// </summary>
public class MutedNotificationTests(SilenceHostFixture fixture) : IClassFixture<SilenceHostFixture>
{
    private LocalHostProcess Host => fixture.Host;
    private const string Route = "/v1/checkout";

    private sealed record Scenario(Guid TenantId, string ApiKey, string Token, Guid RuleId);

    /// <summary>A tenant with a webhook channel nobody listens on (its deliveries are listed all the same) and one rule.</summary>
    private async Task<Scenario> CreateAsync(string name)
    {
        var provisioner = Provisioning.For(Host);
        var tenant = await provisioner.CreateTenantAsync(name, $"m-{Guid.NewGuid():N}@example.com", People.Password, default);
        var token = await Host.LoginAsync(tenant.OwnerEmail, People.Password);
        var channel = await provisioner.CreateWebhookChannelAsync(tenant.TenantId, "on call", new Uri($"http://127.0.0.1:{TestEnvironment.FreePort()}/hook"), default);
        var (status, rule) = await Host.SendJsonAsync(HttpMethod.Post, "api/v1/alert-rules", token, new
        {
            name = "Checkout errors", enabled = true, severity = "critical",
            condition = new { type = "threshold", metric = "error_rate", @operator = ">", threshold = 0.2, window = "5m", filters = new { route = Route }, minRequests = 5 },
            @for = "0s", channelIds = new[] { channel.ChannelId }, groupWait = "0s", groupInterval = "0s",
        });
        Assert.Equal(HttpStatusCode.Created, status);
        return new Scenario(tenant.TenantId, tenant.ApiKey, token, rule.GetProperty("id").GetGuid());
    }

    private async Task<Guid> SilenceAsync(Scenario s, bool expireOnResolve = false)
    {
        var (status, silence) = await Host.SendJsonAsync(HttpMethod.Post, "api/v1/silences", s.Token, new
        {
            matchers = new[] { new { name = "route", op = "=", value = Route } },
            endsAt = DateTimeOffset.UtcNow.AddHours(1), comment = "deploying checkout", expireOnResolve,
        });
        Assert.Equal(HttpStatusCode.Created, status);
        return silence.GetProperty("id").GetGuid();
    }

    /// <summary>Sends errors on the route until the rule's alert fires; returns it as the API shows it.</summary>
    private async Task<JsonElement> FiringAsync(Scenario s)
    {
        JsonElement alert = default;
        Assert.True(await LocalHostProcess.EventuallyAsync(async () =>
        {
            using (await Host.Http.SendAsync(Host.Ingest("api/v1/events/batch", Payloads.Batch(Enumerable.Range(0, 10).Select(_ => Payloads.Event(Route, 500, 40))), s.ApiKey))) { }
            var (_, alerts) = await Host.SendJsonAsync(HttpMethod.Get, $"api/v1/alerts?ruleId={s.RuleId}&state=firing", s.Token);
            var items = alerts.GetProperty("items").EnumerateArray().ToList();
            if (items.Count == 1) alert = items[0];
            return items.Count == 1;
        }, TimeSpan.FromSeconds(60)), "the alert did not fire\n" + Host.Output);
        return alert;
    }

    private async Task<List<string>> DeliveriesAsync(Scenario s, Guid alertId)
    {
        var (status, page) = await Host.SendJsonAsync(HttpMethod.Get, $"api/v1/deliveries?alertId={alertId}", s.Token);
        Assert.Equal(HttpStatusCode.OK, status);
        return page.GetProperty("items").EnumerateArray().Select(d => d.GetProperty("eventType").GetString()!).ToList();
    }

    private async Task<List<(string Kind, string? Message)>> TimelineAsync(Scenario s, Guid alertId)
    {
        var detail = await Host.GetJsonAsync($"api/v1/alerts/{alertId}", s.Token);
        return detail.GetProperty("timeline").EnumerateArray()
            .Select(e => (e.GetProperty("kind").GetString()!, e.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString() : null)).ToList();
    }

    [Fact]
    public async Task A_silenced_alert_fires_visibly_notifies_nobody_and_is_notified_once_when_the_silence_is_expired_while_it_still_fires()
    {
        var s = await CreateAsync("Muted Co");
        var silenceId = await SilenceAsync(s);

        var alert = await FiringAsync(s);
        var alertId = alert.GetProperty("id").GetGuid();
        var silenced = alert.GetProperty("silenced");
        Assert.Equal("silence", silenced.GetProperty("kind").GetString());
        Assert.Equal(silenceId, silenced.GetProperty("id").GetGuid());
        Assert.Contains(await TimelineAsync(s, alertId), e => e.Kind == "muted" && e.Message!.Contains($"silence {silenceId}"));

        // Still evaluated (more errors keep it firing) and still silent.
        for (var i = 0; i < 3; i++)
        {
            using (await Host.Http.SendAsync(Host.Ingest("api/v1/events/batch", Payloads.Batch(Enumerable.Range(0, 10).Select(_ => Payloads.Event(Route, 500, 40))), s.ApiKey))) { }
            await Task.Delay(1000);
        }
        Assert.Empty(await DeliveriesAsync(s, alertId));

        // The silence ends while the alert fires: its firing notification goes out now, exactly once.
        Assert.Equal(HttpStatusCode.NoContent, (await Host.SendJsonAsync(HttpMethod.Delete, $"api/v1/silences/{silenceId}", s.Token)).Status);
        Assert.True(await LocalHostProcess.EventuallyAsync(async () => (await DeliveriesAsync(s, alertId)).Count > 0, TimeSpan.FromSeconds(30)),
            "the held notification was not released\n" + Host.Output);
        await Task.Delay(7000); // past the next release round
        Assert.Equal(["alert.firing"], await DeliveriesAsync(s, alertId));
        Assert.Contains(await TimelineAsync(s, alertId), e => e.Kind == "unmuted");
        var after = await Host.GetJsonAsync($"api/v1/alerts/{alertId}", s.Token);
        Assert.Equal(JsonValueKind.Null, after.GetProperty("silenced").ValueKind);
    }

    [Fact]
    public async Task An_alert_acknowledged_and_resolved_while_muted_notifies_nobody_even_after_the_silence_ends()
    {
        var s = await CreateAsync("Quiet Ack Co");
        var silenceId = await SilenceAsync(s);
        var alertId = (await FiringAsync(s)).GetProperty("id").GetGuid();

        Assert.Equal(HttpStatusCode.OK, (await Host.SendJsonAsync(HttpMethod.Post, $"api/v1/alerts/{alertId}/ack", s.Token)).Status);
        Assert.Equal(HttpStatusCode.NoContent, (await Host.SendJsonAsync(HttpMethod.Delete, $"api/v1/silences/{silenceId}", s.Token)).Status);
        await Task.Delay(7000); // past a release round: an acknowledged alert has nothing held any more
        Assert.Empty(await DeliveriesAsync(s, alertId));

        Assert.Equal(HttpStatusCode.OK, (await Host.SendJsonAsync(HttpMethod.Post, $"api/v1/alerts/{alertId}/resolve", s.Token)).Status);
        await Task.Delay(2000);
        Assert.Empty(await DeliveriesAsync(s, alertId));
        Assert.Contains(await TimelineAsync(s, alertId), e => e.Kind == "muted" && e.Message!.Contains("nobody was told this alert fired"));
    }

    [Fact]
    public async Task A_silence_made_to_expire_on_resolve_ends_when_its_alert_resolves_and_says_so()
    {
        var s = await CreateAsync("Incident Co");
        var silenceId = await SilenceAsync(s, expireOnResolve: true);
        var alertId = (await FiringAsync(s)).GetProperty("id").GetGuid();
        Assert.Equal("active", (await Host.GetJsonAsync($"api/v1/silences/{silenceId}", s.Token)).GetProperty("state").GetString());

        Assert.Equal(HttpStatusCode.OK, (await Host.SendJsonAsync(HttpMethod.Post, $"api/v1/alerts/{alertId}/resolve", s.Token)).Status);

        Assert.Equal("expired", (await Host.GetJsonAsync($"api/v1/silences/{silenceId}", s.Token)).GetProperty("state").GetString());
        Assert.Equal(1, await Host.ScalarAsync(
            "SELECT count(*) FROM audit_log WHERE tenant_id = $1 AND action = 'silence.expire' AND target_id = $2 AND actor_type = 'system' AND summary->>'alertId' = $3",
            s.TenantId, silenceId.ToString(), alertId.ToString()));
        Assert.Contains(await TimelineAsync(s, alertId), e => e.Kind == "muted" && e.Message!.Contains($"Silence {silenceId} expired"));
        Assert.Empty(await DeliveriesAsync(s, alertId));
    }
}
