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

        // The live feed saw it pending, then dropped, never resolved.
        Assert.True(await LocalHostProcess.EventuallyAsync(() => Task.FromResult(live.Reader.Count >= 2), TimeSpan.FromSeconds(10)), "the live feed missed a transition");
        var states = Drain(live).Select(a => a.GetProperty("state").GetString()).ToList();
        Assert.Equal("pending", states[0]);
        Assert.Contains("dropped", states);
        Assert.DoesNotContain("resolved", states);
    }
}
