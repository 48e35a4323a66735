using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Azure.Data.Tables;
using PulseStream.Alerting;
using PulseStream.Http;
using PulseStream.Tenancy;
using PulseStream.Testing;

namespace PulseStream.IntegrationTests;

/// <summary>The caps on rules: rules per tenant under concurrent creates, and groups per rule.</summary>
public class RuleCapTests(HostFixture fixture) : IClassFixture<HostFixture>
{
    private LocalHostProcess Host => fixture.Host;

    private static AlertRuleBody Body(string name) => JsonSerializer.Deserialize<AlertRuleBody>($$$"""
        {"name":"{{{name}}}","enabled":false,"severity":"info",
         "condition":{"type":"threshold","metric":"request_count","operator":">","threshold":1000000,"window":"5m"}}
        """, Json.Options)!;

    private async Task<HttpResponseMessage> CreateAsync(HttpClient http, ScenarioTenant tenant, string name) =>
        await http.SendAsync(Host.Authorized(HttpMethod.Post, "api/v1/alert-rules", tenant.Token, Body(name)));

    [Fact]
    public async Task Concurrent_creates_never_take_a_tenant_past_its_rule_limit_and_the_refusal_names_the_limit()
    {
        var tenant = await NoisyTenantScenario.CreateTenantAsync(Host, "Cap");
        // An operator sets this tenant's limit in Table storage, before the host has read it.
        const int limit = 30;
        await new TenantLimitsStore(new TableServiceClient(TestEnvironment.Tables), TimeProvider.System)
            .SaveAsync(tenant.TenantId, TenantLimits.Default with { MaxRules = limit }, default);
        var provisioner = Provisioning.For(Host);
        for (var i = 0; i < limit - 10; i++) Assert.NotNull(await provisioner.CreateRuleAsync(tenant.TenantId, Body($"rule {i}"), default));

        // 40 creates at once for the last 10 places.
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 40 }) { BaseAddress = Host.BaseUrl };
        var answers = await Task.WhenAll(Enumerable.Range(0, 40).Select(async i =>
        {
            using var response = await CreateAsync(http, tenant, $"concurrent {i}");
            return (response.StatusCode, Body: await response.Content.ReadAsStringAsync());
        }));

        Assert.Equal(limit, await Host.ScalarAsync("SELECT count(*) FROM alert_rules WHERE tenant_id = $1", tenant.TenantId));
        Assert.Equal(10, answers.Count(a => a.StatusCode == HttpStatusCode.Created));
        var refused = answers.Where(a => a.StatusCode != HttpStatusCode.Created).ToList();
        Assert.Equal(30, refused.Count);
        Assert.All(refused, a =>
        {
            Assert.Equal(HttpStatusCode.Conflict, a.StatusCode);
            var problem = JsonDocument.Parse(a.Body).RootElement;
            Assert.EndsWith("/rule-limit", problem.GetProperty("type").GetString());
            Assert.Contains($"maxRules: {limit}", problem.GetProperty("detail").GetString());
        });
        // The provisioner's path is bounded by the same limit.
        Assert.Null(await provisioner.CreateRuleAsync(tenant.TenantId, Body("one more"), default));
    }

    [Fact]
    public async Task A_tenant_has_at_most_500_rules_by_default_disabled_ones_included()
    {
        var tenant = await NoisyTenantScenario.CreateTenantAsync(Host, "Default cap");
        var provisioner = Provisioning.For(Host);
        for (var i = 0; i < 500; i++) Assert.NotNull(await provisioner.CreateRuleAsync(tenant.TenantId, Body($"rule {i}"), default));

        using var response = await CreateAsync(Host.Http, tenant, "the 501st");
        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.EndsWith("/rule-limit", problem.GetProperty("type").GetString());
        Assert.Contains("maxRules: 500", problem.GetProperty("detail").GetString());
        Assert.Equal(500, await Host.ScalarAsync("SELECT count(*) FROM alert_rules WHERE tenant_id = $1", tenant.TenantId));
    }

    [Fact]
    public async Task A_rule_over_its_group_bound_keeps_evaluating_its_open_alerts_and_never_resolves_one_because_it_was_cut()
    {
        await using var host = await LocalHostProcess.StartAsync("pulse_bound", settings => settings["Alerts__Evaluation__MaxGroupsPerRule"] = "3");
        var tenant = await NoisyTenantScenario.CreateTenantAsync(host, "Bound");
        var ruleId = await NoisyTenantScenario.CreateRuleAsync(host, tenant, new
        {
            name = "Failing consumers", enabled = true, severity = "warning",
            condition = new { type = "threshold", metric = "error_rate", @operator = ">", threshold = 0.5, window = "5m", groupBy = new[] { "consumerId" }, minRequests = 1 },
            @for = "0s",
        });
        async Task<string[]> FiringAsync()
        {
            await using var connection = new Npgsql.NpgsqlConnection(host.ConnectionString);
            await connection.OpenAsync();
            await using var command = new Npgsql.NpgsqlCommand("SELECT group_key FROM alerts WHERE tenant_id = $1 AND state = 'firing' ORDER BY 1", connection);
            command.Parameters.AddWithValue(tenant.TenantId);
            var groups = new List<string>();
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync()) groups.Add(reader.GetString(0));
            return [.. groups];
        }
        async Task<JsonElement> EvaluationAsync()
        {
            using var response = await host.Http.SendAsync(host.Authorized(HttpMethod.Get, $"api/v1/alert-rules/{ruleId}", tenant.Token));
            return (await response.Content.ReadFromJsonAsync<JsonElement>()).TryGetProperty("evaluation", out var e) ? e.Clone() : default;
        }
        async Task<JsonElement> EvaluatedAfterAsync(DateTimeOffset after)
        {
            JsonElement evaluation = default;
            Assert.True(await LocalHostProcess.EventuallyAsync(async () =>
            {
                // Traffic of a fresh consumer makes the rule due.
                await NoisyTenantScenario.SendAsync(host, tenant, [Payloads.Event(status: 200, consumerId: "nudge")]);
                evaluation = await EvaluationAsync();
                return evaluation.ValueKind == JsonValueKind.Object && evaluation.GetProperty("lastEvaluatedAt").GetDateTimeOffset() > after;
            }, TimeSpan.FromSeconds(30)), "not evaluated\n" + host.Output);
            return evaluation;
        }
        IEnumerable<object> Events(string consumer, int status, int count) => Enumerable.Range(0, count).Select(_ => Payloads.Event(status: status, consumerId: consumer));

        // Three failing consumers fire.
        await NoisyTenantScenario.SendAsync(host, tenant, Events("c1", 503, 5).Concat(Events("c2", 503, 5)).Concat(Events("c3", 503, 5)));
        Assert.True(await LocalHostProcess.EventuallyAsync(async () => (await FiringAsync()).Length == 3, TimeSpan.FromSeconds(30)), "did not fire\n" + host.Output);
        Assert.Equal(["consumerId=c1", "consumerId=c2", "consumerId=c3"], await FiringAsync());

        // Five busier, healthy consumers take the rule over its bound of 3: the open alerts still hold the evaluated
        // places, and the rule shows that it was cut.
        await NoisyTenantScenario.SendAsync(host, tenant, Enumerable.Range(1, 5).SelectMany(i => Events($"busy{i}", 200, 20)));
        var over = await EvaluatedAfterAsync(DateTimeOffset.UtcNow);
        Assert.Equal((3, 3, true), (over.GetProperty("groups").GetInt32(), over.GetProperty("groupLimit").GetInt32(), over.GetProperty("groupLimitHit").GetBoolean()));
        Assert.Equal(["consumerId=c1", "consumerId=c2", "consumerId=c3"], await FiringAsync());

        // c1 recovers: though quieter than the busy consumers, it is still evaluated, and resolves.
        await NoisyTenantScenario.SendAsync(host, tenant, Events("c1", 200, 20));
        Assert.True(await LocalHostProcess.EventuallyAsync(async () => (await FiringAsync()).Length == 2, TimeSpan.FromSeconds(30)), "c1 did not resolve\n" + host.Output);
        Assert.Equal(["consumerId=c2", "consumerId=c3"], await FiringAsync());
        Assert.Equal(1, await host.ScalarAsync("SELECT count(*) FROM alerts WHERE tenant_id = $1 AND state = 'resolved' AND group_key = 'consumerId=c1'", tenant.TenantId));

        // The operator lowers the bound below the open alerts: one is evaluated, the other is cut and stays as it is
        // (still failing, it must not resolve for not having been looked at).
        host.Kill();
        host.Settings["Alerts__Evaluation__MaxGroupsPerRule"] = "1";
        await host.StartAsync();
        var restarted = DateTimeOffset.UtcNow;
        var lowered = await EvaluatedAfterAsync(restarted);
        Assert.Equal((1, 1, true), (lowered.GetProperty("groups").GetInt32(), lowered.GetProperty("groupLimit").GetInt32(), lowered.GetProperty("groupLimitHit").GetBoolean()));
        await EvaluatedAfterAsync(lowered.GetProperty("lastEvaluatedAt").GetDateTimeOffset());
        Assert.Equal(["consumerId=c2", "consumerId=c3"], await FiringAsync());
        Assert.Equal(0, await host.ScalarAsync("SELECT count(*) FROM alerts WHERE tenant_id = $1 AND state = 'resolved' AND group_key <> 'consumerId=c1'", tenant.TenantId));
    }
}
