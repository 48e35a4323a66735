using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Npgsql;
using PulseStream.Testing;
using Xunit.Abstractions;

namespace PulseStream.IntegrationTests;

/// <summary>A local host whose event log has one partition: every tenant's events go through the one consumer.</summary>
public sealed class SinglePartitionFixture : IAsyncLifetime
{
    public LocalHostProcess Host { get; private set; } = null!;
    public async Task InitializeAsync() => Host = await LocalHostProcess.StartAsync("pulse_noisy", settings => settings["Pulse__Partitions"] = "1");
    public async Task DisposeAsync() => await Host.DisposeAsync();
}

/// <summary>
/// The lag figure runs alone: a timed p99 measured beside other CPU-heavy tests measures them, not the rule.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class NoisyNeighbourCollection
{
    public const string Name = "noisy neighbour";
}

/// <summary>
/// The issue's noisy neighbour: tenant A has a rule grouped by consumer over 20,000 consumers, tenant B shares its
/// partition. A's rules must never delay B's storing, and A's slow evaluation costs B's evaluation at most A's budget.
/// </summary>
[Collection(NoisyNeighbourCollection.Name)]
public class NoisyTenantTests(SinglePartitionFixture fixture, ITestOutputHelper output) : IClassFixture<SinglePartitionFixture>
{
    private LocalHostProcess Host => fixture.Host;
    private const int Consumers = 20_000;

    private static readonly object QuietRule = new
    {
        name = "Any traffic", enabled = true, severity = "info",
        condition = new { type = "threshold", metric = "request_count", @operator = ">=", threshold = 1, window = "5m" },
        @for = "0s",
    };

    private Task<long> StoredAsync(ScenarioTenant tenant) => Host.StoredEventCountAsync(tenant.TenantId);

    private Task<long> FiringAsync(ScenarioTenant tenant) => Host.ScalarAsync("SELECT count(*) FROM alerts WHERE tenant_id = $1 AND state = 'firing'", tenant.TenantId);

    private async Task<JsonElement> RuleAsync(ScenarioTenant tenant, Guid ruleId)
    {
        using var response = await Host.Http.SendAsync(Host.Authorized(HttpMethod.Get, $"api/v1/alert-rules/{ruleId}", tenant.Token));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    private async Task<(ScenarioTenant Noisy, Guid NoisyRule, ScenarioTenant Quiet)> NoisyAndQuietAsync()
    {
        var noisy = await NoisyTenantScenario.CreateTenantAsync(Host, "Noisy");
        var quiet = await NoisyTenantScenario.CreateTenantAsync(Host, "Quiet");
        var noisyRule = await NoisyTenantScenario.CreateRuleAsync(Host, noisy, NoisyTenantScenario.PerConsumerRule());
        await NoisyTenantScenario.CreateRuleAsync(Host, quiet, QuietRule);
        await NoisyTenantScenario.SendDistinctConsumersAsync(Host, noisy, Consumers);
        Assert.True(await LocalHostProcess.EventuallyAsync(async () => await StoredAsync(noisy) == Consumers, TimeSpan.FromSeconds(120)),
            "the noisy tenant's events were not stored\n" + Host.Output);
        return (noisy, noisyRule, quiet);
    }

    [Fact]
    public async Task A_tenant_whose_rule_evaluation_is_held_up_delays_neither_another_tenants_storing_nor_its_alerts()
    {
        var (noisy, noisyRule, quiet) = await NoisyAndQuietAsync();

        // Hold the noisy tenant's evaluation hostage: this session takes the advisory lock its evaluation takes.
        await using var hostage = new NpgsqlConnection(Host.ConnectionString);
        await hostage.OpenAsync();
        await using (var take = new NpgsqlCommand("SELECT pg_advisory_lock(hashtextextended('alerts:' || $1::text, 0))", hostage))
        {
            take.Parameters.AddWithValue(noisy.TenantId.ToString());
            await take.ExecuteNonQueryAsync();
        }
        // New traffic, past any per-tenant interval, makes its rules due; evaluating them now waits on the lock.
        await Task.Delay(1200);
        await NoisyTenantScenario.SendAsync(Host, noisy, [Payloads.Event(consumerId: "after-the-lock")]);
        Assert.True(await LocalHostProcess.EventuallyAsync(async () => await StoredAsync(noisy) == Consumers + 1, TimeSpan.FromSeconds(30)), "not stored\n" + Host.Output);
        await Task.Delay(500);

        // The quiet tenant on the same partition: what it sends is queryable within seconds, and its own rule fires.
        await NoisyTenantScenario.SendAsync(Host, quiet, Enumerable.Range(0, 5).Select(_ => Payloads.Event(consumerId: "quiet-1")));
        var accepted = Stopwatch.StartNew();
        Assert.True(await LocalHostProcess.EventuallyAsync(() => NoisyTenantScenario.QueryableAsync(Host, quiet, "quiet-1"), TimeSpan.FromSeconds(5)),
            "the quiet tenant's accepted events did not become queryable while the noisy tenant's evaluation was held");
        output.WriteLine($"quiet tenant's events queryable {accepted.Elapsed.TotalSeconds:F2} s after 202, the noisy tenant's evaluation held");
        Assert.True(await LocalHostProcess.EventuallyAsync(async () => await FiringAsync(quiet) == 1, TimeSpan.FromSeconds(10)),
            "the quiet tenant's rule was not evaluated while the noisy tenant's evaluation was held\n" + Host.Output);
        output.WriteLine($"quiet tenant's alert firing {accepted.Elapsed.TotalSeconds:F2} s after 202");

        // The held rule ran out of the tenant's budget: logged, recorded on the rule, and backed off rather than
        // retried in a loop (the tenant itself is not: its other rules, had it any, would go on being evaluated).
        JsonElement held = default;
        Assert.True(await LocalHostProcess.EventuallyAsync(async () =>
        {
            held = (await RuleAsync(noisy, noisyRule)).GetProperty("evaluation");
            return held.GetProperty("lastError").ValueKind == JsonValueKind.String;
        }, TimeSpan.FromSeconds(15)), "the held rule did not record running out of its budget\n" + Host.Output);
        Assert.Contains($"rules of tenant {noisy.TenantId} (first {noisyRule}) ran out of the tenant's time budget", Host.Output);
        Assert.Equal(1, held.GetProperty("failuresInARow").GetInt32());
        Assert.True(held.GetProperty("retryAt").GetDateTimeOffset() >= held.GetProperty("lastErrorAt").GetDateTimeOffset().AddSeconds(4), held.ToString());
        await Task.Delay(2000);
        Assert.Equal(held.GetProperty("lastErrorAt").GetDateTimeOffset(), (await RuleAsync(noisy, noisyRule)).GetProperty("evaluation").GetProperty("lastErrorAt").GetDateTimeOffset());

        // Released, the noisy rule is evaluated and bounded: 1,000 of its 20,001 groups, and it says it hit the bound.
        await using (var release = new NpgsqlCommand("SELECT pg_advisory_unlock_all()", hostage)) await release.ExecuteNonQueryAsync();
        var released = DateTimeOffset.UtcNow;
        JsonElement evaluation = default;
        Assert.True(await LocalHostProcess.EventuallyAsync(async () =>
        {
            evaluation = (await RuleAsync(noisy, noisyRule)).GetProperty("evaluation");
            return evaluation.GetProperty("lastError").ValueKind == JsonValueKind.Null
                && evaluation.GetProperty("lastEvaluatedAt").GetDateTimeOffset() > released;
        }, TimeSpan.FromSeconds(90)), "the noisy rule was not evaluated after the release: " + evaluation + "\n" + Host.Output);
        Assert.Equal(1000, evaluation.GetProperty("groups").GetInt32());
        Assert.Equal(1000, evaluation.GetProperty("groupLimit").GetInt32());
        Assert.True(evaluation.GetProperty("groupLimitHit").GetBoolean());
        Assert.Equal(1000, await FiringAsync(noisy));
    }

    [Fact]
    public async Task Another_tenants_accepted_events_stay_promptly_queryable_while_the_noisy_rule_is_active()
    {
        var (noisy, noisyRule, quiet) = await NoisyAndQuietAsync();
        var measuring = DateTimeOffset.UtcNow;

        // The noisy tenant keeps sending, so its 20,000-group rule stays due and is evaluated all along.
        using var stop = new CancellationTokenSource();
        var noise = NoisyTenantScenario.KeepRuleDueAsync(Host, noisy, Consumers, stop.Token);
        var lags = await NoisyTenantScenario.MeasureStoreLagAsync(Host, quiet, batches: 20, interval: TimeSpan.FromMilliseconds(500),
            poll: TimeSpan.FromMilliseconds(50), giveUp: TimeSpan.FromSeconds(30));
        await stop.CancelAsync();
        await noise;

        var p50 = NoisyTenantScenario.Quantile(lags, 0.50);
        var p99 = NoisyTenantScenario.Quantile(lags, 0.99);
        output.WriteLine($"quiet tenant's accepted -> queryable lag with the 20,000-group rule active: p50 {p50:F3} s, p99 {p99:F3} s ({lags.Length} batches: {string.Join(' ', lags.Select(l => l.ToString("F2", System.Globalization.CultureInfo.InvariantCulture)))})");
        output.WriteLine($"the noisy tenant's last evaluation took {await Host.ScalarAsync("SELECT last_duration_ms FROM rule_evaluation_schedule WHERE tenant_id = $1", noisy.TenantId)} ms; overruns {await Host.ScalarAsync("SELECT overruns FROM rule_evaluation_schedule WHERE tenant_id = $1", noisy.TenantId)}; its alerts fired {await Host.ScalarAsync("SELECT (extract(epoch FROM max(firing_at) - $2::timestamptz) * 1000)::bigint FROM alerts WHERE tenant_id = $1", noisy.TenantId, measuring)} ms from the start of the measurement");
        var evaluation = (await RuleAsync(noisy, noisyRule)).GetProperty("evaluation");
        Assert.True(evaluation.GetProperty("lastEvaluatedAt").GetDateTimeOffset() > measuring, "the noisy rule was not evaluated during the measurement: " + evaluation);
        Assert.True(evaluation.GetProperty("groupLimitHit").GetBoolean());
        // The issue's goal, p99 under 1 s, is a speed target: `./pulse bench --only noisy` measures it (docs/PERFORMANCE.md).
        // Here the bound only has to tell the fix from the fault (14.6 s before) without failing on a stalled machine.
        Assert.True(p50 < 1.0 && p99 < 3.0, $"p99 lag {p99:F3} s (p50 {p50:F3} s)");
    }
}
