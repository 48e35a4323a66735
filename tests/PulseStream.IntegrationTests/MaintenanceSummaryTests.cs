using System.Net;
using System.Text.Json;
using PulseStream.Testing;

namespace PulseStream.IntegrationTests;

/// <summary>
/// A maintenance window's <c>summaryAtEnd</c> (issue 14 §4) on a real host: when an occurrence has ended, one
/// <c>maintenance.summary</c> goes to each channel of the rules whose alerts it muted, listing them, and only once:
/// the state is in Postgres, so the host's timer, run again and after a restart, sends nothing twice.
/// </summary>
public class MaintenanceSummaryTests(HostFixture fixture) : IClassFixture<HostFixture>
{
    private LocalHostProcess Host => fixture.Host;

    private async Task<Guid> RuleAsync(string token, string name, string route, Guid channelId)
    {
        var (status, rule) = await Host.SendJsonAsync(HttpMethod.Post, "api/v1/alert-rules", token, new
        {
            // Disabled: nothing evaluates it, so the alerts stored below stay as they are.
            name, enabled = false, severity = "critical",
            condition = new { type = "threshold", metric = "error_rate", @operator = ">", threshold = 0.2, window = "5m", filters = new { route }, minRequests = 5 },
            channelIds = new[] { channelId },
        });
        Assert.True(status == HttpStatusCode.Created, $"{(int)status} {rule}");
        return rule.GetProperty("id").GetGuid();
    }

    private async Task<Guid> AlertAsync(Guid tenantId, Guid ruleId, string ruleName, DateTimeOffset firingAt, DateTimeOffset? resolvedAt)
    {
        var id = Guid.CreateVersion7();
        await Host.ExecuteAsync("""
            INSERT INTO alerts (tenant_id, id, rule_id, rule_name, group_key, state, severity, started_at, firing_at, resolved_at, updated_at)
            VALUES ($1, $2, $3, $4, '', $5, 'critical', $6, $6, $7, $6)
            """, tenantId, id, ruleId, ruleName, resolvedAt is null ? "firing" : "resolved", firingAt, (object?)resolvedAt ?? DBNull.Value);
        return id;
    }

    [Fact]
    public async Task An_ended_occurrence_is_summarised_once_to_the_channels_of_the_rules_whose_alerts_it_muted_also_across_a_restart()
    {
        var provisioner = Provisioning.For(Host);
        var tenant = await provisioner.CreateTenantAsync("Summary Co", $"s-{Guid.NewGuid():N}@example.com", People.Password, default);
        var token = await Host.LoginAsync(tenant.OwnerEmail, People.Password);
        async Task<Guid> ChannelAsync(string name) =>
            (await provisioner.CreateWebhookChannelAsync(tenant.TenantId, name, new Uri($"http://127.0.0.1:{TestEnvironment.FreePort()}/hook"), default)).ChannelId;
        var reportsChannel = await ChannelAsync("Reports team");
        var checkoutChannel = await ChannelAsync("Checkout team");
        var reports = await RuleAsync(token, "Reports errors", "/v1/reports/monthly", reportsChannel);
        var checkout = await RuleAsync(token, "Checkout errors", "/v1/checkout", checkoutChannel);

        // A daily window on the reports route whose occurrence today was [30 min ago, 20 min ago).
        var start = DateTimeOffset.UtcNow.AddMinutes(-30);
        var (status, window) = await Host.SendJsonAsync(HttpMethod.Post, "api/v1/maintenance-windows", token, new
        {
            name = "Reports upgrade", rrule = "FREQ=DAILY", start = start.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture),
            duration = "10m", timeZone = "UTC", exceptions = Array.Empty<string>(),
            matchers = new[] { new { name = "route", op = "=", value = "/v1/reports/monthly" } }, summaryAtEnd = true,
        });
        Assert.True(status == HttpStatusCode.Created, $"{(int)status} {window}");
        var windowId = window.GetProperty("id").GetGuid();
        var occurrenceStart = new DateTimeOffset(start.Year, start.Month, start.Day, start.Hour, start.Minute, start.Second, TimeSpan.Zero);

        // Two of the reports rule's alerts fired (and resolved) inside it; one fired before it; the checkout alert inside it is not the window's.
        var first = await AlertAsync(tenant.TenantId, reports, "Reports errors", occurrenceStart.AddMinutes(1), occurrenceStart.AddMinutes(3));
        var second = await AlertAsync(tenant.TenantId, reports, "Reports errors", occurrenceStart.AddMinutes(4), occurrenceStart.AddMinutes(8));
        await AlertAsync(tenant.TenantId, reports, "Reports errors", occurrenceStart.AddMinutes(-5), occurrenceStart.AddMinutes(2));
        await AlertAsync(tenant.TenantId, checkout, "Checkout errors", occurrenceStart.AddMinutes(2), occurrenceStart.AddMinutes(5));
        // The window is made to have existed before the occurrence (one made now never muted it, and is not summarised for it).
        await Host.ExecuteAsync("UPDATE maintenance_windows SET created_at = now() - interval '2 hours' WHERE tenant_id = $1 AND id = $2", tenant.TenantId, windowId);

        const string Summaries = "SELECT count(*) FROM notification_outbox WHERE tenant_id = $1 AND event_type = 'maintenance.summary'";
        Assert.True(await LocalHostProcess.EventuallyAsync(async () => await Host.ScalarAsync(Summaries, tenant.TenantId) == 1, TimeSpan.FromSeconds(30)),
            "the occurrence was not summarised\n" + Host.Output);
        Assert.Equal(1, await Host.ScalarAsync("SELECT count(*) FROM maintenance_summaries WHERE tenant_id = $1 AND window_id = $2 AND alert_count = 2", tenant.TenantId, windowId));

        // To the reports rule's channel only, listing its two alerts, about no one alert.
        var items = (await Host.GetJsonAsync($"api/v1/deliveries?channelId={reportsChannel}", token)).GetProperty("items").EnumerateArray().ToList();
        var summary = Assert.Single(items);
        Assert.Equal("maintenance.summary", summary.GetProperty("eventType").GetString());
        Assert.Equal(JsonValueKind.Null, summary.GetProperty("alertId").ValueKind);
        Assert.Empty((await Host.GetJsonAsync($"api/v1/deliveries?channelId={checkoutChannel}", token)).GetProperty("items").EnumerateArray());
        using var payload = JsonDocument.Parse(await Host.ScalarTextAsync("SELECT payload::text FROM notification_outbox WHERE tenant_id = $1 AND event_type = 'maintenance.summary'",
            tenant.TenantId));
        var maintenance = payload.RootElement.GetProperty("maintenance");
        Assert.Equal("2 alerts fired and resolved during maintenance", maintenance.GetProperty("summary").GetString());
        Assert.Equal("Reports upgrade", maintenance.GetProperty("name").GetString());
        Assert.Equal([first, second], maintenance.GetProperty("alerts").EnumerateArray().Select(a => a.GetProperty("id").GetGuid()));
        Assert.Equal("2 alerts fired and resolved during maintenance: Reports errors (resolved); Reports errors (resolved)", payload.RootElement.GetProperty("group").GetString());

        // Exactly once: the timer keeps running, and a restarted host reads the state from Postgres.
        Host.Kill();
        await Host.StartAsync();
        await Task.Delay(TimeSpan.FromSeconds(6));
        Assert.Equal(1, await Host.ScalarAsync(Summaries, tenant.TenantId));
        Assert.Equal(1, await Host.ScalarAsync("SELECT count(*) FROM maintenance_summaries WHERE tenant_id = $1", tenant.TenantId));
    }
}
