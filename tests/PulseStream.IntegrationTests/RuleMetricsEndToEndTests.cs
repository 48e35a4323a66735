using System.Net.Http.Json;
using System.Text.Json;
using Npgsql;
using PulseStream.Testing;

namespace PulseStream.IntegrationTests;

/// <summary>
/// Every metric and operator of the contract, <c>groupBy</c> over many groups, <c>minRequests</c> and <c>for</c>,
/// evaluated live by the host's timer over traffic of known shape: each rule fires or stays quiet as its numbers say,
/// and the alert carries the value the rule saw.
/// </summary>
public class RuleMetricsEndToEndTests(HostFixture fixture) : IClassFixture<HostFixture>
{
    private LocalHostProcess Host => fixture.Host;

    private sealed record Case(string Name, string Metric, string Operator, double Threshold, bool Fires, double? Value = null, double Tolerance = 0);

    /// <summary>
    /// /e2e/a: 20 requests, 4 of them 503 and 2 of them 404; 10 at 10 ms and 10 at 1,000 ms. So request_count 20,
    /// error_rate 0.2, client_error_rate 0.1, latency_avg 505, p50 10 (rank 9 of 0-19), p95 and p99 1,000 (to 1%).
    /// </summary>
    private static readonly Case[] Cases =
    [
        new("count > 19", "request_count", ">", 19, true, 20),
        new("count > 20", "request_count", ">", 20, false),
        new("count >= 20", "request_count", ">=", 20, true, 20),
        new("count < 20", "request_count", "<", 20, false),
        new("count <= 20", "request_count", "<=", 20, true, 20),
        new("count < 21", "request_count", "<", 21, true, 20),
        new("errors >= 0.2", "error_rate", ">=", 0.2, true, 0.2),
        new("errors > 0.2", "error_rate", ">", 0.2, false),
        new("client errors > 0.05", "client_error_rate", ">", 0.05, true, 0.1),
        new("client errors < 0.05", "client_error_rate", "<", 0.05, false),
        new("avg > 500", "latency_avg", ">", 500, true, 505, 1e-9),
        new("avg > 510", "latency_avg", ">", 510, false),
        new("p50 < 20", "latency_p50", "<", 20, true, 10, 0.1),
        new("p50 > 20", "latency_p50", ">", 20, false),
        new("p95 > 900", "latency_p95", ">", 900, true, 1000, 10),
        new("p95 < 900", "latency_p95", "<", 900, false),
        new("p99 >= 980", "latency_p99", ">=", 980, true, 1000, 10),
        new("p99 <= 500", "latency_p99", "<=", 500, false),
    ];

    private static object Rule(string name, string metric, string op, double threshold, object? filters, string[]? groupBy = null, int? minRequests = null, string @for = "0s") => new
    {
        name, enabled = true, severity = "info",
        condition = new { type = "threshold", metric, @operator = op, threshold, window = "5m", filters, groupBy, minRequests },
        @for,
    };

    private async Task<List<(string State, string Group, double? Value, DateTimeOffset StartedAt, DateTimeOffset? FiringAt)>> AlertsAsync(Guid tenantId, Guid ruleId)
    {
        await using var connection = new NpgsqlConnection(Host.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT state, group_key, value, started_at, firing_at FROM alerts WHERE tenant_id = $1 AND rule_id = $2 ORDER BY group_key", connection);
        command.Parameters.AddWithValue(tenantId);
        command.Parameters.AddWithValue(ruleId);
        var alerts = new List<(string, string, double?, DateTimeOffset, DateTimeOffset?)>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
            alerts.Add((reader.GetString(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetDouble(2), reader.GetFieldValue<DateTimeOffset>(3),
                reader.IsDBNull(4) ? null : reader.GetFieldValue<DateTimeOffset>(4)));
        return alerts;
    }

    [Fact]
    public async Task Every_metric_and_operator_groupBy_minRequests_and_for_fire_exactly_as_the_traffic_says()
    {
        var tenant = await NoisyTenantScenario.CreateTenantAsync(Host, "Every metric");
        var onA = new { route = "/e2e/a" };
        var cases = new Dictionary<Guid, Case>();
        foreach (var c in Cases) cases[await NoisyTenantScenario.CreateRuleAsync(Host, tenant, Rule(c.Name, c.Metric, c.Operator, c.Threshold, onA))] = c;
        var perRoute = await NoisyTenantScenario.CreateRuleAsync(Host, tenant, Rule("failing routes", "error_rate", ">", 0.5, null, ["route"], minRequests: 5));
        var perConsumer = await NoisyTenantScenario.CreateRuleAsync(Host, tenant, Rule("failing consumers", "error_rate", ">", 0.5, null, ["consumerId"]));
        var perRouteAndMethod = await NoisyTenantScenario.CreateRuleAsync(Host, tenant, Rule("failing GETs", "error_rate", ">", 0.5, new { method = "GET" }, ["route", "method"]));
        var tooFew = await NoisyTenantScenario.CreateRuleAsync(Host, tenant, Rule("failing routes, 6 requests", "error_rate", ">", 0.5, null, ["route"], minRequests: 6));
        var forAnHour = await NoisyTenantScenario.CreateRuleAsync(Host, tenant, Rule("for an hour", "request_count", ">=", 20, onA, @for: "1h"));
        var forSeconds = await NoisyTenantScenario.CreateRuleAsync(Host, tenant, Rule("for 3 seconds", "request_count", ">=", 20, onA, @for: "3s"));

        // /e2e/a as documented above; 40 routes /e2e/g00-g39 of 5 requests each, the even ones all 503, each with a
        // consumer of its own.
        var events = new List<object>();
        for (var i = 0; i < 20; i++)
            events.Add(Payloads.Event("/e2e/a", i < 4 ? 503 : i < 6 ? 404 : 200, i % 2 == 0 ? 10 : 1000));
        for (var g = 0; g < 40; g++)
            events.AddRange(Enumerable.Range(0, 5).Select(_ => Payloads.Event($"/e2e/g{g:D2}", g % 2 == 0 ? 503 : 200, 10, consumerId: $"k{g:D2}")));
        var sent = DateTimeOffset.UtcNow;
        await NoisyTenantScenario.SendAsync(Host, tenant, events);

        var firingGroups = Enumerable.Range(0, 20).Select(i => $"/e2e/g{i * 2:D2}").ToList();
        async Task<bool> AllFiredAsync()
        {
            foreach (var (id, c) in cases.Where(c => c.Value.Fires))
                if (!(await AlertsAsync(tenant.TenantId, id)).Any(a => a.State == "firing")) return false;
            return (await AlertsAsync(tenant.TenantId, perRoute)).Count(a => a.State == "firing") == 20
                && (await AlertsAsync(tenant.TenantId, perConsumer)).Count(a => a.State == "firing") == 20
                && (await AlertsAsync(tenant.TenantId, perRouteAndMethod)).Count(a => a.State == "firing") == 20
                && (await AlertsAsync(tenant.TenantId, forSeconds)).Any(a => a.State == "firing");
        }
        Assert.True(await LocalHostProcess.EventuallyAsync(async () =>
        {
            // Traffic elsewhere keeps the tenant's rules due without touching the figures above.
            await NoisyTenantScenario.SendAsync(Host, tenant, [Payloads.Event("/e2e/nudge", 200, 10, consumerId: "nudge")]);
            return await AllFiredAsync();
        }, TimeSpan.FromSeconds(60)), "not every rule fired\n" + Host.Output);

        // Every rule was evaluated after the traffic was stored, so the quiet ones are quiet for their numbers.
        var rules = (await Host.GetJsonAsync("api/v1/alert-rules", tenant.Token)).GetProperty("items").EnumerateArray()
            .ToDictionary(r => r.GetProperty("id").GetGuid(), r => r.GetProperty("evaluation"));
        Assert.All(rules.Values, e => Assert.True(e.GetProperty("lastEvaluatedAt").GetDateTimeOffset() > sent));

        foreach (var (id, c) in cases)
        {
            var alerts = await AlertsAsync(tenant.TenantId, id);
            if (!c.Fires)
            {
                Assert.True(alerts.Count == 0, $"{c.Name} should not fire");
                continue;
            }
            var alert = Assert.Single(alerts);
            Assert.Equal(("firing", ""), (alert.State, alert.Group));
            Assert.True(Math.Abs(alert.Value!.Value - c.Value!.Value) <= c.Tolerance, $"{c.Name}: {alert.Value} is not {c.Value}");
        }

        // Many groups: exactly the failing ones, each its own alert.
        Assert.Equal(firingGroups.Select(r => $"route={r}"), (await AlertsAsync(tenant.TenantId, perRoute)).Select(a => a.Group));
        Assert.Equal(Enumerable.Range(0, 20).Select(i => $"consumerId=k{i * 2:D2}"), (await AlertsAsync(tenant.TenantId, perConsumer)).Select(a => a.Group));
        Assert.Equal(firingGroups.Select(r => $"route={r},method=GET"), (await AlertsAsync(tenant.TenantId, perRouteAndMethod)).Select(a => a.Group));
        Assert.All(await AlertsAsync(tenant.TenantId, perRoute), a => Assert.Equal(1.0, a.Value));
        // Five requests a group are below minRequests 6.
        Assert.Empty(await AlertsAsync(tenant.TenantId, tooFew));

        // for: an hour keeps it pending; three seconds make it pending, then firing three seconds or more later.
        Assert.Equal("pending", Assert.Single(await AlertsAsync(tenant.TenantId, forAnHour)).State);
        var held = Assert.Single(await AlertsAsync(tenant.TenantId, forSeconds));
        Assert.True(held.FiringAt - held.StartedAt >= TimeSpan.FromSeconds(3), $"fired after {held.FiringAt - held.StartedAt}");
        Assert.Equal(2, await Host.ScalarAsync("SELECT count(*) FROM alerts a JOIN alert_timeline t ON t.tenant_id = a.tenant_id AND t.alert_id = a.id " +
            "WHERE a.tenant_id = $1 AND a.rule_id = $2 AND t.state IN ('pending', 'firing')", tenant.TenantId, forSeconds));

        // The preview of a rule agrees with its live evaluation: its last point is the window the rule evaluates now.
        using var preview = await Host.Http.SendAsync(Host.Authorized(HttpMethod.Post, "api/v1/alert-rules/preview?range=1h", tenant.Token,
            Rule("preview", "latency_avg", ">", 500, onA)));
        var group = Assert.Single((await preview.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("groups").EnumerateArray());
        Assert.Equal(505, group.GetProperty("points").EnumerateArray().Last().GetProperty("value").GetDouble(), 9);
        Assert.Equal("firing", Assert.Single(group.GetProperty("intervals").EnumerateArray()).GetProperty("state").GetString());
    }
}
