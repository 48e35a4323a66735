using Npgsql;
using PulseStream.Testing;

namespace PulseStream.IntegrationTests;

/// <summary>A local host whose tenant budget holds only a few rules' evaluation, so a tenant's rules take turns.</summary>
public sealed class SmallBudgetFixture : IAsyncLifetime
{
    public LocalHostProcess Host { get; private set; } = null!;
    public async Task InitializeAsync() => Host = await LocalHostProcess.StartAsync("pulse_turns", settings => settings["Alerts__Evaluation__TenantBudget"] = "00:00:00.100");
    public async Task DisposeAsync() => await Host.DisposeAsync();
}

/// <summary>
/// A tenant with more rules than one time budget evaluates: every rule must still be evaluated within a few turns,
/// not once per exponential backoff (the bug: each turn that reached the budget counted as an overrun, so a tenant with
/// 1,000 rules was evaluated every 5 minutes and its alerts never fired).
/// </summary>
public class RuleEvaluationTurnsTests(SmallBudgetFixture fixture) : IClassFixture<SmallBudgetFixture>
{
    private LocalHostProcess Host => fixture.Host;
    private const int Rules = 300;

    /// <summary>A rule of its own route grouped by consumer: no rollup set answers it, so each is a unit of its own.</summary>
    private static object RouteRule(int n) => new
    {
        name = $"Traffic on route {n}", enabled = true, severity = "info",
        condition = new
        {
            type = "threshold", metric = "request_count", @operator = ">=", threshold = 1, window = "5m",
            filters = new { route = $"/v1/turn/{n}" }, groupBy = new[] { "consumerId" },
        },
        @for = "0s",
    };

    [Fact]
    public async Task Every_rule_of_a_tenant_whose_rules_exceed_its_budget_fires_within_a_few_turns_and_the_tenant_is_never_backed_off()
    {
        var tenant = await NoisyTenantScenario.CreateTenantAsync(Host, "Many rules");
        for (var n = 0; n < Rules; n++) await NoisyTenantScenario.CreateRuleAsync(Host, tenant, RouteRule(n));
        await NoisyTenantScenario.SendAsync(Host, tenant, Enumerable.Range(0, Rules).Select(n => Payloads.Event($"/v1/turn/{n}", consumerId: "c1")));

        // Watched closely, so that each turn's outcome is seen.
        var outcomes = new HashSet<string>();
        long firing = 0;
        await using var connection = new NpgsqlConnection(Host.ConnectionString);
        await connection.OpenAsync();
        // Generous: the property is that every rule fires in turns and the tenant is never backed off, not how fast
        // (turns come every few seconds, slower when the suite's other hosts and the browser share the two cores).
        var giveUp = DateTime.UtcNow.AddSeconds(180);
        while (firing < Rules && DateTime.UtcNow < giveUp)
        {
            await using var command = new NpgsqlCommand("""
                SELECT (SELECT last_outcome FROM rule_evaluation_schedule WHERE tenant_id = $1),
                       (SELECT count(*) FROM alerts WHERE tenant_id = $1 AND state = 'firing')
                """, connection);
            command.Parameters.AddWithValue(tenant.TenantId);
            await using var reader = await command.ExecuteReaderAsync();
            await reader.ReadAsync();
            if (!reader.IsDBNull(0)) outcomes.Add(reader.GetString(0));
            firing = reader.GetInt64(1);
            await reader.DisposeAsync();
            await Task.Delay(10);
        }
        var allFired = firing == Rules;

        Assert.True(allFired, $"{firing} of {Rules} rules fired within 180 s; outcomes seen: {string.Join(", ", outcomes)}\n" + Host.Output);
        Assert.Contains("partial", outcomes); // the rules did take more than one turn
        Assert.Equal(0, await Host.ScalarAsync("SELECT overruns FROM rule_evaluation_schedule WHERE tenant_id = $1", tenant.TenantId));
        Assert.DoesNotContain($"Evaluating the rules of tenant {tenant.TenantId} ran out of its time budget", Host.Output);
    }
}
