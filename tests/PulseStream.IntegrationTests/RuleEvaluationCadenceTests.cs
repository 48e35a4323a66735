using System.Net;
using System.Text.Json;
using PulseStream.Testing;

namespace PulseStream.IntegrationTests;

/// <summary>
/// A rule is evaluated at most once per sixtieth of its window (5 s for a 5-minute window). Traffic that arrives just
/// after an evaluation must be evaluated once that interval has passed, not left to the sweep that marks every tenant
/// due every 15 s (the bug: the tenant was claimed, its only rule skipped as evaluated too recently, and the tenant
/// recorded as done, so the alert waited for the next sweep; on a loaded machine that broke a 10 s expectation).
/// </summary>
public class RuleEvaluationCadenceTests(HostFixture fixture) : IClassFixture<HostFixture>
{
    private LocalHostProcess Host => fixture.Host;

    private static readonly object AnyTraffic = new
    {
        name = "Any traffic", enabled = true, severity = "info",
        condition = new { type = "threshold", metric = "request_count", @operator = ">=", threshold = 1, window = "5m" },
        @for = "0s",
    };

    private async Task<DateTimeOffset?> LastEvaluatedAtAsync(ScenarioTenant tenant, Guid ruleId)
    {
        var (status, rule) = await Host.SendJsonAsync(HttpMethod.Get, $"api/v1/alert-rules/{ruleId}", tenant.Token);
        Assert.Equal(HttpStatusCode.OK, status);
        return rule.TryGetProperty("evaluation", out var evaluation) && evaluation.ValueKind == JsonValueKind.Object
            && evaluation.TryGetProperty("lastEvaluatedAt", out var at) && at.ValueKind == JsonValueKind.String ? at.GetDateTimeOffset() : null;
    }

    [Fact]
    public async Task Traffic_arriving_just_after_an_evaluation_fires_once_the_rules_interval_has_passed_not_at_the_next_sweep()
    {
        var tenant = await NoisyTenantScenario.CreateTenantAsync(Host, "Cadence");
        var ruleId = await NoisyTenantScenario.CreateRuleAsync(Host, tenant, AnyTraffic);

        // Without traffic only the sweep evaluates the rule: the second evaluation seen is a sweep's.
        DateTimeOffset? first = null, sweep = null;
        Assert.True(await LocalHostProcess.EventuallyAsync(async () => (first = await LastEvaluatedAtAsync(tenant, ruleId)) is not null, TimeSpan.FromSeconds(30)),
            "the new rule was never evaluated\n" + Host.Output);
        Assert.True(await LocalHostProcess.EventuallyAsync(async () => (sweep = await LastEvaluatedAtAsync(tenant, ruleId)) > first, TimeSpan.FromSeconds(30)),
            "the sweep never evaluated the rule\n" + Host.Output);

        // Right after it, traffic that meets the condition: the rule may not be evaluated for 5 s, then it must be.
        await NoisyTenantScenario.SendAsync(Host, tenant, [Payloads.Event(consumerId: "cadence")]);
        DateTimeOffset? firingAt = null;
        Assert.True(await LocalHostProcess.EventuallyAsync(async () =>
        {
            var (_, alerts) = await Host.SendJsonAsync(HttpMethod.Get, $"api/v1/alerts?ruleId={ruleId}", tenant.Token);
            firingAt = alerts.GetProperty("items").EnumerateArray().Select(a => a.GetProperty("firingAt")).FirstOrDefault() is { ValueKind: JsonValueKind.String } at
                ? at.GetDateTimeOffset() : null;
            return firingAt is not null;
        }, TimeSpan.FromSeconds(40)), "the alert never fired\n" + Host.Output);

        // The next sweep comes 15 s after the last one; the rule's interval ends 5 s after it.
        Assert.True(firingAt - sweep < TimeSpan.FromSeconds(12), $"evaluated by the sweep at {sweep:O}, fired at {firingAt:O}: it waited for the next sweep");
    }
}
