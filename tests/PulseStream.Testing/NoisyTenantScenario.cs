using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Azure.Data.Tables;
using PulseStream.Tenancy;

namespace PulseStream.Testing;

/// <summary>A tenant made in a scenario: its provisioning and an access token of its owner.</summary>
public sealed record ScenarioTenant(ProvisionedTenant Tenant, string Token)
{
    public Guid TenantId => Tenant.TenantId;
}

/// <summary>
/// The noisy neighbour, shared by the integration test and the benchmark: tenant A has one rule grouped by
/// consumer over tens of thousands of consumers; tenant B, on the same partition, measures how long its accepted
/// events take to become queryable.
/// </summary>
public static class NoisyTenantScenario
{
    public const string Password = "a long password 123";

    /// <summary>A tenant with its limits lifted (the scenario measures the pipeline, not the rate limiter).</summary>
    public static async Task<ScenarioTenant> CreateTenantAsync(LocalHostProcess host, string name)
    {
        var tenant = await Provisioning.For(host).CreateTenantAsync(name, $"{name.ToLowerInvariant().Replace(' ', '-')}-{Guid.NewGuid():N}@example.com", Password, default);
        await new TenantLimitsStore(new TableServiceClient(TestEnvironment.Tables), TimeProvider.System)
            .SaveAsync(tenant.TenantId, TenantLimits.Default with { EventsPerSecond = 1_000_000, Burst = 1_000_000 }, default);
        return new ScenarioTenant(tenant, await host.LoginAsync(tenant.OwnerEmail, Password));
    }

    /// <summary>Creates a rule through the API; returns its id.</summary>
    public static async Task<Guid> CreateRuleAsync(LocalHostProcess host, ScenarioTenant tenant, object rule)
    {
        using var response = await host.Http.SendAsync(host.Authorized(HttpMethod.Post, "api/v1/alert-rules", tenant.Token, rule));
        if (response.StatusCode != HttpStatusCode.Created)
            throw new InvalidOperationException($"Creating the rule answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
    }

    /// <summary>The noisy rule: one alert per consumer that sent anything in the last 5 minutes.</summary>
    public static object PerConsumerRule(string name = "Every consumer") => new
    {
        name, enabled = true, severity = "warning",
        condition = new { type = "threshold", metric = "request_count", @operator = ">=", threshold = 1, window = "5m", groupBy = new[] { "consumerId" } },
        @for = "0s",
    };

    /// <summary>Sends <paramref name="consumers"/> events with distinct consumer ids, in batches of 1,000.</summary>
    public static async Task SendDistinctConsumersAsync(LocalHostProcess host, ScenarioTenant tenant, int consumers, string prefix = "consumer")
    {
        for (var start = 0; start < consumers; start += 1000)
        {
            var events = Enumerable.Range(start, Math.Min(1000, consumers - start))
                .Select(i => Payloads.Event("/v1/orders/{id}", 200, 12, consumerId: $"{prefix}-{i:D6}"));
            await SendAsync(host, tenant, events);
        }
    }

    public static async Task SendAsync(LocalHostProcess host, ScenarioTenant tenant, IEnumerable<object> events)
    {
        using var response = await host.Http.SendAsync(host.Ingest("api/v1/events/batch", Payloads.Batch(events), tenant.Tenant.ApiKey));
        if (response.StatusCode != HttpStatusCode.Accepted)
            throw new InvalidOperationException($"Ingest answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
    }

    /// <summary>
    /// Keeps the noisy tenant's rule due until cancelled: 100 events every 500 ms across its existing consumers, so its
    /// rule is evaluated about every second over all its groups while what it stores stays modest (the scenario
    /// measures its rules' effect on others, not a heavy neighbour's storing).
    /// </summary>
    public static async Task KeepRuleDueAsync(LocalHostProcess host, ScenarioTenant tenant, int consumers, CancellationToken ct)
    {
        for (var round = 0; !ct.IsCancellationRequested; round++)
        {
            await SendAsync(host, tenant, Enumerable.Range(round * 100, 100).Select(i => Payloads.Event("/v1/orders/{id}", 200, 12, consumerId: $"consumer-{i % consumers:D6}")));
            try { await Task.Delay(500, ct); } catch (OperationCanceledException) { return; }
        }
    }

    /// <summary>Whether an event with this consumer id is queryable through the events API.</summary>
    public static async Task<bool> QueryableAsync(LocalHostProcess host, ScenarioTenant tenant, string consumerId)
    {
        using var response = await host.Http.SendAsync(host.Authorized(HttpMethod.Get, $"api/v1/events?limit=1&consumerId={Uri.EscapeDataString(consumerId)}", tenant.Token));
        if (response.StatusCode != HttpStatusCode.OK) return false;
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return body.RootElement.GetProperty("items").GetArrayLength() > 0;
    }

    /// <summary>
    /// Sends <paramref name="batches"/> small batches, one every <paramref name="interval"/>, each with its own consumer
    /// id, and measures for each the time from its 202 to the first poll (every <paramref name="poll"/>) that finds it
    /// through the events API. A batch not queryable within <paramref name="giveUp"/> counts as that long.
    /// </summary>
    public static async Task<double[]> MeasureStoreLagAsync(LocalHostProcess host, ScenarioTenant tenant, int batches, TimeSpan interval, TimeSpan poll, TimeSpan giveUp)
    {
        var run = Guid.NewGuid().ToString("N")[..8];
        var probes = Enumerable.Range(0, batches).Select(async i =>
        {
            await Task.Delay(interval * i);
            var consumerId = $"probe-{run}-{i}";
            await SendAsync(host, tenant, Enumerable.Range(0, 10).Select(_ => Payloads.Event("/v1/probe", 200, 5, consumerId: consumerId)));
            var accepted = Stopwatch.StartNew();
            while (accepted.Elapsed < giveUp && !await QueryableAsync(host, tenant, consumerId)) await Task.Delay(poll);
            return Math.Min(accepted.Elapsed.TotalSeconds, giveUp.TotalSeconds);
        });
        return await Task.WhenAll(probes);
    }

    /// <summary>The value at quantile <paramref name="q"/> (nearest rank).</summary>
    public static double Quantile(IReadOnlyCollection<double> values, double q)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length == 0 ? 0 : sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Length) - 1, 0, sorted.Length - 1)];
    }
}
