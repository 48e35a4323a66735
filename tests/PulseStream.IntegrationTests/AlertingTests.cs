using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using PulseStream.Notifications;
using PulseStream.Testing;

namespace PulseStream.IntegrationTests;

/// <summary>Rules evaluated against the rollups, alerts through their states, signed webhook deliveries.</summary>
public class AlertingTests(HostFixture fixture) : IClassFixture<HostFixture>
{
    private LocalHostProcess Host => fixture.Host;

    private sealed record Delivery(string Id, string Timestamp, string Signature, byte[] Body);

    [Fact]
    public async Task An_error_burst_fires_the_rule_and_delivers_a_webhook_whose_signature_verifies()
    {
        // A receiver of our own, outside the host.
        var received = new ConcurrentQueue<Delivery>();
        var port = TestEnvironment.FreePort();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.Logging.ClearProviders();
        await using var receiver = builder.Build();
        receiver.MapPost("/hook", async (HttpContext context) =>
        {
            using var buffer = new MemoryStream();
            await context.Request.Body.CopyToAsync(buffer);
            received.Enqueue(new Delivery(context.Request.Headers["X-PulseStream-Delivery"].ToString(), context.Request.Headers["X-PulseStream-Timestamp"].ToString(),
                context.Request.Headers["X-PulseStream-Signature"].ToString(), buffer.ToArray()));
            return Results.NoContent();
        });
        await receiver.StartAsync();

        var password = "a long password 123";
        var provisioner = Provisioning.For(Host);
        var tenant = await provisioner.CreateTenantAsync("Alert Co", $"a-{Guid.NewGuid():N}@example.com", password, default);
        var channel = await provisioner.CreateWebhookChannelAsync(tenant.TenantId, "test receiver", new Uri($"http://127.0.0.1:{port}/hook"), default);
        var token = await Host.LoginAsync(tenant.OwnerEmail, password);

        using (var create = await Host.Http.SendAsync(Host.Authorized(HttpMethod.Post, "api/v1/alert-rules", token, new
        {
            name = "Checkout errors",
            enabled = true,
            severity = "critical",
            condition = new { type = "threshold", metric = "error_rate", @operator = ">", threshold = 0.2, window = "5m", filters = new { route = "/v1/checkout" }, groupBy = new[] { "route" }, minRequests = 20 },
            @for = "2s",
            channelIds = new[] { channel.ChannelId },
            groupWait = "0s", groupInterval = "0s",
        })))
        {
            Assert.Equal(HttpStatusCode.Created, create.StatusCode);
        }

        // Healthy traffic does not fire; a burst of 5xx on checkout does.
        await Post(tenant.ApiKey, Enumerable.Range(0, 30).Select(_ => Payloads.Event("/v1/checkout", 200, 50)));
        await Task.Delay(2000);
        Assert.Equal(0, await Host.ScalarAsync("SELECT count(*) FROM alerts WHERE tenant_id = $1 AND state = 'firing'", tenant.TenantId));
        await Post(tenant.ApiKey, Enumerable.Range(0, 30).Select(_ => Payloads.Event("/v1/checkout", 503, 900)));

        Assert.True(await LocalHostProcess.EventuallyAsync(async () =>
        {
            // Keep a little traffic flowing: each batch marks the tenant's rules due for the EvaluateDueRules timer.
            await Post(tenant.ApiKey, [Payloads.Event("/v1/checkout", 503, 900)]);
            return await Host.ScalarAsync("SELECT count(*) FROM alerts WHERE tenant_id = $1 AND state = 'firing'", tenant.TenantId) == 1;
        }, TimeSpan.FromSeconds(45)), "the alert did not fire\n" + Host.Output);

        using var alerts = JsonDocument.Parse(await (await Host.Http.SendAsync(Host.Authorized(HttpMethod.Get, "api/v1/alerts?state=firing", token))).Content.ReadAsStringAsync());
        var alert = Assert.Single(alerts.RootElement.GetProperty("items").EnumerateArray());
        Assert.Equal("Checkout errors", alert.GetProperty("ruleName").GetString());
        Assert.Equal("route=/v1/checkout", alert.GetProperty("group").GetString());
        Assert.True(alert.GetProperty("value").GetDouble() > 0.2);

        // The rule shows its last evaluation: one group, within the bound, no error. Another tenant cannot read it.
        var ruleId = alert.GetProperty("ruleId").GetGuid();
        using (var rule = JsonDocument.Parse(await (await Host.Http.SendAsync(Host.Authorized(HttpMethod.Get, $"api/v1/alert-rules/{ruleId}", token))).Content.ReadAsStringAsync()))
        {
            var evaluation = rule.RootElement.GetProperty("evaluation");
            Assert.Equal("Checkout errors", rule.RootElement.GetProperty("name").GetString());
            Assert.Equal(1, evaluation.GetProperty("groups").GetInt32());
            Assert.False(evaluation.GetProperty("groupLimitHit").GetBoolean());
            Assert.Equal(JsonValueKind.Null, evaluation.GetProperty("lastError").ValueKind);
        }
        using (var foreignRule = await Host.Http.SendAsync(Host.Authorized(HttpMethod.Get, $"api/v1/alert-rules/{ruleId}", await Host.LoginAsync())))
            await IngestPipelineTests.AssertProblem(foreignRule, HttpStatusCode.NotFound, "not-found");

        Assert.True(await LocalHostProcess.EventuallyAsync(() => Task.FromResult(!received.IsEmpty), TimeSpan.FromSeconds(30)), "no webhook arrived\n" + Host.Output);
        Assert.True(received.TryPeek(out var delivery));
        Assert.True(WebhookSignature.Verify(channel.Secret, delivery.Timestamp, delivery.Signature, delivery.Body, DateTimeOffset.UtcNow, TimeSpan.FromMinutes(5)));
        Assert.False(WebhookSignature.Verify("whsec_wrong", delivery.Timestamp, delivery.Signature, delivery.Body, DateTimeOffset.UtcNow, TimeSpan.FromMinutes(5)));
        using var payload = JsonDocument.Parse(delivery.Body);
        Assert.Equal("alert.firing", payload.RootElement.GetProperty("type").GetString());
        Assert.Equal(delivery.Id, payload.RootElement.GetProperty("id").GetString());
        Assert.Equal(tenant.TenantId, payload.RootElement.GetProperty("tenantId").GetGuid());
        Assert.Equal(alert.GetProperty("id").GetGuid(), payload.RootElement.GetProperty("alert").GetProperty("id").GetGuid());

        // A person acknowledges it once; a second time is a conflict; another tenant's id is not found.
        var alertId = alert.GetProperty("id").GetGuid();
        using (var ack = await Host.Http.SendAsync(Host.Authorized(HttpMethod.Post, $"api/v1/alerts/{alertId}/ack", token)))
        {
            Assert.Equal(HttpStatusCode.OK, ack.StatusCode);
            Assert.Equal("acknowledged", (await ack.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("state").GetString());
        }
        using (var again = await Host.Http.SendAsync(Host.Authorized(HttpMethod.Post, $"api/v1/alerts/{alertId}/ack", token)))
            Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        using (var foreign = await Host.Http.SendAsync(Host.Authorized(HttpMethod.Post, $"api/v1/alerts/{alertId}/ack", await Host.LoginAsync())))
            Assert.Equal(HttpStatusCode.NotFound, foreign.StatusCode);
        Assert.Equal(1, await Host.ScalarAsync("SELECT count(*) FROM alerts WHERE tenant_id = $1 AND state = 'acknowledged'", tenant.TenantId));
    }

    [Fact]
    public async Task An_invalid_rule_is_refused_with_field_errors_and_rules_are_listed_per_tenant()
    {
        var token = await Host.LoginAsync();
        using var invalid = await Host.Http.SendAsync(Host.Authorized(HttpMethod.Post, "api/v1/alert-rules", token, new
        {
            name = "bad", enabled = true, severity = "critical",
            condition = new { type = "threshold", metric = "cpu", @operator = ">", threshold = 1, window = "5m" },
        }));
        Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
        using var problem = JsonDocument.Parse(await invalid.Content.ReadAsStringAsync());
        Assert.Contains(problem.RootElement.GetProperty("errors").EnumerateArray(), e => e.GetProperty("field").GetString() == "condition.metric");

        using var list = JsonDocument.Parse(await (await Host.Http.SendAsync(Host.Authorized(HttpMethod.Get, "api/v1/alert-rules", token))).Content.ReadAsStringAsync());
        Assert.Contains(list.RootElement.GetProperty("items").EnumerateArray(), r => r.GetProperty("name").GetString() == "High error rate");
        Assert.DoesNotContain(list.RootElement.GetProperty("items").EnumerateArray(), r => r.GetProperty("name").GetString() == "Checkout errors");
    }

    private async Task Post(string apiKey, IEnumerable<object> events)
    {
        using var response = await Host.Http.SendAsync(Host.Ingest("api/v1/events/batch", Payloads.Batch(events), apiKey));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }
}
