using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.AspNetCore.SignalR.Client;
using Npgsql;
using PulseStream.Testing;

namespace PulseStream.IntegrationTests;

/// <summary>Rules replaced, disabled, enabled and deleted: their open alerts closed, their alerts kept, every change audited.</summary>
public class AlertRuleLifecycleTests(HostFixture fixture) : IClassFixture<HostFixture>
{
    private LocalHostProcess Host => fixture.Host;

    private static object Rule(string name, bool enabled = true, double threshold = 0, string @for = "0s", IEnumerable<Guid>? channelIds = null, string severity = "critical",
        string metric = "request_count", string window = "5m") => new
    {
        name, enabled, severity,
        condition = new { type = "threshold", metric, @operator = ">", threshold, window, filters = new { route = "/v1/rules" } },
        @for,
        channelIds = channelIds?.ToArray() ?? [],
        groupWait = "0s", groupInterval = "0s",
    };

    private async Task<string?> TextAsync(string sql, params object[] args)
    {
        await using var connection = new NpgsqlConnection(Host.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var arg in args) command.Parameters.AddWithValue(arg);
        return (await command.ExecuteScalarAsync())?.ToString();
    }

    private async Task<Guid> OpenAlertAsync(ScenarioTenant tenant, Guid ruleId, string state)
    {
        Guid id = default;
        Assert.True(await LocalHostProcess.EventuallyAsync(async () =>
        {
            // Each batch marks the tenant's rules due.
            await NoisyTenantScenario.SendAsync(Host, tenant, [Payloads.Event("/v1/rules", 200, 20)]);
            var found = await TextAsync("SELECT id FROM alerts WHERE tenant_id = $1 AND rule_id = $2 AND state = $3", tenant.TenantId, ruleId, state);
            if (found is not null) id = Guid.Parse(found);
            return found is not null;
        }, TimeSpan.FromSeconds(45)), $"no {state} alert\n" + Host.Output);
        return id;
    }

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, ScenarioTenant tenant, object? body = null) =>
        await Host.Http.SendAsync(Host.Authorized(method, path, tenant.Token, body));

    [Fact]
    public async Task A_rule_is_replaced_whole_validated_as_on_create_and_audited_with_before_and_after()
    {
        var tenant = await NoisyTenantScenario.CreateTenantAsync(Host, "Replace");
        var ruleId = await NoisyTenantScenario.CreateRuleAsync(Host, tenant, Rule("Before", enabled: false, threshold: 100));

        using (var replaced = await SendAsync(HttpMethod.Put, $"api/v1/alert-rules/{ruleId}", tenant, Rule("After", enabled: false, threshold: 250, severity: "warning")))
        {
            Assert.Equal(HttpStatusCode.OK, replaced.StatusCode);
            var body = await replaced.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal(ruleId, body.GetProperty("id").GetGuid());
            Assert.Equal("After", body.GetProperty("name").GetString());
        }
        var read = await Host.GetJsonAsync($"api/v1/alert-rules/{ruleId}", tenant.Token);
        Assert.Equal(("After", "warning", 250.0), (read.GetProperty("name").GetString(), read.GetProperty("severity").GetString(),
            read.GetProperty("condition").GetProperty("threshold").GetDouble()));
        Assert.True(read.GetProperty("updatedAt").GetDateTimeOffset() > read.GetProperty("createdAt").GetDateTimeOffset());

        // The audit entry holds the whole rule before and after.
        Assert.Equal("Before", await TextAsync("SELECT summary->'before'->>'name' FROM audit_log WHERE tenant_id = $1 AND action = 'alert_rule.update' AND target_id = $2",
            tenant.TenantId, ruleId.ToString()));
        Assert.Equal("250", await TextAsync("SELECT summary->'after'->'condition'->>'threshold' FROM audit_log WHERE tenant_id = $1 AND action = 'alert_rule.update'",
            tenant.TenantId));
        Assert.Equal("100", await TextAsync("SELECT summary->'after'->'condition'->>'threshold' FROM audit_log WHERE tenant_id = $1 AND action = 'alert_rule.create'",
            tenant.TenantId));

        // Invalid bodies are refused by field, as on create, and change nothing.
        foreach (var (body, field) in new (object, string)[]
        {
            (new { name = "x", enabled = true, severity = "critical", condition = new { type = "threshold", metric = "cpu", @operator = ">", threshold = 1, window = "5m" } }, "condition.metric"),
            (Rule("x", window: "90s"), "condition.window"),
            (Rule("x", @for: "2d"), "for"),
            (Rule("x", channelIds: [Guid.NewGuid()]), "channelIds"),
        })
        {
            using var invalid = await SendAsync(HttpMethod.Put, $"api/v1/alert-rules/{ruleId}", tenant, body);
            Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
            var problem = await invalid.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Contains(problem.GetProperty("errors").EnumerateArray(), e => e.GetProperty("field").GetString() == field);
        }
        Assert.Equal("After", (await Host.GetJsonAsync($"api/v1/alert-rules/{ruleId}", tenant.Token)).GetProperty("name").GetString());
        Assert.Equal(1, await Host.ScalarAsync("SELECT count(*) FROM audit_log WHERE tenant_id = $1 AND action = 'alert_rule.update'", tenant.TenantId));

        // Unknown ids, and another tenant's rule, are not found.
        using (var unknown = await SendAsync(HttpMethod.Put, $"api/v1/alert-rules/{Guid.NewGuid()}", tenant, Rule("x")))
            await IngestPipelineTests.AssertProblem(unknown, HttpStatusCode.NotFound, "not-found");
        var other = await NoisyTenantScenario.CreateTenantAsync(Host, "Replace other");
        using (var foreign = await SendAsync(HttpMethod.Put, $"api/v1/alert-rules/{ruleId}", other, Rule("stolen")))
            await IngestPipelineTests.AssertProblem(foreign, HttpStatusCode.NotFound, "not-found");
        using (var foreignDelete = await SendAsync(HttpMethod.Delete, $"api/v1/alert-rules/{ruleId}", other))
            Assert.Equal(HttpStatusCode.NotFound, foreignDelete.StatusCode);
        using (var foreignDisable = await SendAsync(HttpMethod.Post, $"api/v1/alert-rules/{ruleId}/disable", other))
            Assert.Equal(HttpStatusCode.NotFound, foreignDisable.StatusCode);
        Assert.Equal("After", (await Host.GetJsonAsync($"api/v1/alert-rules/{ruleId}", tenant.Token)).GetProperty("name").GetString());
    }

    [Fact]
    public async Task Disabling_a_firing_rule_resolves_its_alert_with_a_timeline_entry_pushes_it_live_and_enqueues_the_resolve_notification()
    {
        var tenant = await NoisyTenantScenario.CreateTenantAsync(Host, "Disable");
        var channel = await Provisioning.For(Host).CreateWebhookChannelAsync(tenant.TenantId, "nowhere", new Uri("http://127.0.0.1:9/hook"), default);
        var ruleId = await NoisyTenantScenario.CreateRuleAsync(Host, tenant, Rule("Any traffic", channelIds: [channel.ChannelId]));
        var alertId = await OpenAlertAsync(tenant, ruleId, "firing");

        var (url, accessToken) = await Host.NegotiateAsync(tenant.Token);
        await using var live = new HubConnectionBuilder().WithUrl(url, o => o.AccessTokenProvider = () => Task.FromResult<string?>(accessToken)).Build();
        var messages = Channel.CreateUnbounded<JsonElement>();
        live.On<JsonElement>("alert", alert => messages.Writer.TryWrite(alert));
        var joined = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        live.On<JsonElement>("events", _ => joined.TrySetResult());
        await live.StartAsync();
        // The connection joins its tenant's group once the host hears of it: a live event proves it has.
        await LocalHostProcess.EventuallyAsync(async () =>
        {
            await NoisyTenantScenario.SendAsync(Host, tenant, [Payloads.Event("/v1/rules", 200, 20)]);
            return await Task.WhenAny(joined.Task, Task.Delay(1000)) == joined.Task;
        }, TimeSpan.FromSeconds(30));

        using (var disabled = await SendAsync(HttpMethod.Post, $"api/v1/alert-rules/{ruleId}/disable", tenant))
        {
            Assert.Equal(HttpStatusCode.OK, disabled.StatusCode);
            Assert.False((await disabled.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("enabled").GetBoolean());
        }

        // Resolved, with a timeline entry saying why and who; the rule's channel is told.
        Assert.Equal("resolved", await TextAsync("SELECT state FROM alerts WHERE tenant_id = $1 AND id = $2", tenant.TenantId, alertId));
        Assert.Equal(1, await Host.ScalarAsync("SELECT count(*) FROM alerts WHERE tenant_id = $1 AND id = $2 AND resolved_at IS NOT NULL", tenant.TenantId, alertId));
        Assert.Equal($"rule disabled by {tenant.Tenant.OwnerEmail}", await TextAsync(
            "SELECT message FROM alert_timeline WHERE tenant_id = $1 AND alert_id = $2 AND kind = 'rule' AND state = 'resolved' AND actor_id = $3",
            tenant.TenantId, alertId, tenant.Tenant.OwnerId));
        Assert.Equal(1, await Host.ScalarAsync("SELECT count(*) FROM notification_outbox WHERE tenant_id = $1 AND alert_id = $2 AND channel_id = $3 AND event_type = 'alert.resolved'",
            tenant.TenantId, alertId, channel.ChannelId));
        Assert.Equal("resolved", (await Host.GetJsonAsync("api/v1/alerts?state=resolved", tenant.Token)).GetProperty("items").EnumerateArray()
            .Single(a => a.GetProperty("id").GetGuid() == alertId).GetProperty("state").GetString());

        // The live feed hears of it.
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20)))
        {
            JsonElement message;
            do message = await messages.Reader.ReadAsync(timeout.Token);
            while (message.GetProperty("id").GetGuid() != alertId || message.GetProperty("state").GetString() != "resolved");
            Assert.Equal("Any traffic", message.GetProperty("ruleName").GetString());
        }

        // Audited once with before and after; disabling again changes nothing and is not audited again.
        Assert.Equal("true", await TextAsync("SELECT summary->'before'->>'enabled' FROM audit_log WHERE tenant_id = $1 AND action = 'alert_rule.disable'", tenant.TenantId));
        Assert.Equal("false", await TextAsync("SELECT summary->'after'->>'enabled' FROM audit_log WHERE tenant_id = $1 AND action = 'alert_rule.disable'", tenant.TenantId));
        using (var again = await SendAsync(HttpMethod.Post, $"api/v1/alert-rules/{ruleId}/disable", tenant))
            Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(1, await Host.ScalarAsync("SELECT count(*) FROM audit_log WHERE tenant_id = $1 AND action = 'alert_rule.disable'", tenant.TenantId));

        // A disabled rule opens nothing however much traffic comes; enabled again, it fires again (a new alert).
        for (var i = 0; i < 4; i++)
        {
            await NoisyTenantScenario.SendAsync(Host, tenant, [Payloads.Event("/v1/rules", 200, 20)]);
            await Task.Delay(500);
        }
        Assert.Equal(0, await Host.ScalarAsync("SELECT count(*) FROM alerts WHERE tenant_id = $1 AND state <> 'resolved'", tenant.TenantId));
        using (var enabled = await SendAsync(HttpMethod.Post, $"api/v1/alert-rules/{ruleId}/enable", tenant))
            Assert.True((await enabled.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("enabled").GetBoolean());
        Assert.NotEqual(alertId, await OpenAlertAsync(tenant, ruleId, "firing"));
        Assert.Equal(1, await Host.ScalarAsync("SELECT count(*) FROM audit_log WHERE tenant_id = $1 AND action = 'alert_rule.enable'", tenant.TenantId));

        // A PUT with enabled false is a disable too.
        using (var put = await SendAsync(HttpMethod.Put, $"api/v1/alert-rules/{ruleId}", tenant, Rule("Any traffic", enabled: false, channelIds: [channel.ChannelId])))
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        Assert.Equal(0, await Host.ScalarAsync("SELECT count(*) FROM alerts WHERE tenant_id = $1 AND state <> 'resolved'", tenant.TenantId));
        Assert.Equal(2, await Host.ScalarAsync("SELECT count(*) FROM alert_timeline WHERE tenant_id = $1 AND kind = 'rule'", tenant.TenantId));
    }

    [Fact]
    public async Task A_deleted_rule_s_alerts_stay_resolved_with_its_name_and_severity_and_a_pending_one_is_dropped_without_notice()
    {
        var tenant = await NoisyTenantScenario.CreateTenantAsync(Host, "Delete");
        var channel = await Provisioning.For(Host).CreateWebhookChannelAsync(tenant.TenantId, "nowhere", new Uri("http://127.0.0.1:9/hook"), default);
        var firingRule = await NoisyTenantScenario.CreateRuleAsync(Host, tenant, Rule("Fires at once", channelIds: [channel.ChannelId], severity: "warning"));
        var pendingRule = await NoisyTenantScenario.CreateRuleAsync(Host, tenant, Rule("Waits an hour", @for: "1h", channelIds: [channel.ChannelId]));
        var firing = await OpenAlertAsync(tenant, firingRule, "firing");
        var pending = await OpenAlertAsync(tenant, pendingRule, "pending");

        using (var deleted = await SendAsync(HttpMethod.Delete, $"api/v1/alert-rules/{firingRule}", tenant))
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        using (var gone = await SendAsync(HttpMethod.Get, $"api/v1/alert-rules/{firingRule}", tenant))
            Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        using (var twice = await SendAsync(HttpMethod.Delete, $"api/v1/alert-rules/{firingRule}", tenant))
            Assert.Equal(HttpStatusCode.NotFound, twice.StatusCode);
        Assert.Equal(1, await Host.ScalarAsync("SELECT count(*) FROM alert_rules WHERE tenant_id = $1", tenant.TenantId));

        // The alert is kept, resolved, with the rule's name and severity; its timeline says who deleted the rule.
        Assert.Equal("resolved|Fires at once|warning", await TextAsync("SELECT state || '|' || rule_name || '|' || severity FROM alerts WHERE tenant_id = $1 AND id = $2",
            tenant.TenantId, firing));
        Assert.Equal($"rule deleted by {tenant.Tenant.OwnerEmail}", await TextAsync("SELECT message FROM alert_timeline WHERE tenant_id = $1 AND alert_id = $2 AND kind = 'rule'",
            tenant.TenantId, firing));
        Assert.True(await Host.ScalarAsync("SELECT count(*) FROM alert_timeline WHERE tenant_id = $1 AND alert_id = $2", tenant.TenantId, firing) >= 2);
        Assert.Equal(1, await Host.ScalarAsync("SELECT count(*) FROM notification_outbox WHERE tenant_id = $1 AND alert_id = $2 AND event_type = 'alert.resolved'", tenant.TenantId, firing));
        Assert.Equal("Fires at once", await TextAsync("SELECT summary->'before'->>'name' FROM audit_log WHERE tenant_id = $1 AND action = 'alert_rule.delete' AND target_id = $2",
            tenant.TenantId, firingRule.ToString()));
        Assert.Equal(1, await Host.ScalarAsync("SELECT count(*) FROM audit_log WHERE tenant_id = $1 AND action = 'alert_rule.delete' AND coalesce(summary->'after', 'null'::jsonb) = 'null'::jsonb", tenant.TenantId));

        // A pending alert never fired and nobody heard of it: deleting its rule removes it, and tells nobody.
        using (var deleted = await SendAsync(HttpMethod.Delete, $"api/v1/alert-rules/{pendingRule}", tenant))
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.Equal(0, await Host.ScalarAsync("SELECT count(*) FROM alerts WHERE tenant_id = $1 AND id = $2", tenant.TenantId, pending));
        Assert.Equal(0, await Host.ScalarAsync("SELECT count(*) FROM notification_outbox WHERE tenant_id = $1 AND alert_id = $2", tenant.TenantId, pending));
        Assert.Equal(0, await Host.ScalarAsync("SELECT count(*) FROM alert_rules WHERE tenant_id = $1", tenant.TenantId));
    }
}
