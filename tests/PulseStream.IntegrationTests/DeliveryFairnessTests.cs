using System.Text.Json;
using PulseStream.Testing;

namespace PulseStream.IntegrationTests;

/// <summary>
/// Deliveries under pressure, against real receivers on loopback: one tenant's flood to a receiver that never answers
/// does not hold back another tenant, an alert's resolution is never followed by its stale firing, and a delivery's
/// attempt history stays bounded.
/// </summary>
public class DeliveryFairnessTests(DeliveryHostFixture fixture) : IClassFixture<DeliveryHostFixture>
{
    /// <summary>The documented limit of pending deliveries per tenant (docs/API.md, Deliveries).</summary>
    private const int PendingLimit = 10_000;

    private LocalHostProcess Host => fixture.Host;

    [Fact]
    public async Task A_tenant_flooding_a_receiver_that_never_answers_does_not_hold_back_another_tenants_delivery_and_is_capped_visibly()
    {
        await using var silent = await LoopbackReceiver.StartAsync((_, context) => LoopbackReceiver.NeverAnswer(context));
        await using var answering = await LoopbackReceiver.StartAsync((_, _) => Task.FromResult(204));
        var flooding = await DeliveryScenario.CreateAsync(Host, silent.Url);
        var other = await DeliveryScenario.CreateAsync(Host, answering.Url);
        try
        {
            // Due for a minute already: older than anything the other tenant enqueues, so oldest-first alone serves the flood first.
            await flooding.FloodAsync(PendingLimit, DateTimeOffset.UtcNow.AddMinutes(-1));
            Assert.True(await LocalHostProcess.EventuallyAsync(() => Task.FromResult(silent.Requests.Count > 0), TimeSpan.FromSeconds(15)),
                $"the flood is not being sent\n{Host.Output}");

            var (_, deliveryId) = await other.EnqueueAsync();
            // Within a round: sooner than one attempt to the silent receiver gives up (6 s on this host).
            Assert.True(await LocalHostProcess.EventuallyAsync(async () => await other.StateAsync(deliveryId) == "delivered", TimeSpan.FromSeconds(5)),
                $"the other tenant's delivery waited behind the flood: {await other.StateAsync(deliveryId)}");
            Assert.Equal(deliveryId.ToString(), Assert.Single(answering.Accepted).DeliveryId);
            // The flood holds no more than its share of claims at any time (4 a tenant by default).
            Assert.InRange(await Host.ScalarAsync("""
                SELECT count(*) FROM notification_outbox
                WHERE tenant_id = $1 AND status = 'pending' AND claim_token IS NOT NULL AND next_attempt_at > now()
                """, flooding.Tenant.TenantId), 1, 4);

            // At the limit, a new delivery is stored dead saying why: never dropped, never queued behind the flood.
            var (alertId, capped) = await flooding.EnqueueAsync();
            Assert.Equal("dead", await flooding.StateAsync(capped));
            var item = Assert.Single((await Host.GetJsonAsync($"api/v1/deliveries?alertId={alertId}", await flooding.LoginAsync())).GetProperty("items").EnumerateArray());
            Assert.Equal("dead", item.GetProperty("state").GetString());
            Assert.Empty(item.GetProperty("attempts").EnumerateArray());
            Assert.Equal($"Not sent: the tenant already has {PendingLimit} deliveries waiting, the most a tenant may have.", item.GetProperty("lastError").GetString());
        }
        finally
        {
            // The flood would otherwise keep the host's dispatcher busy for the class's other tests.
            await Host.ExecuteAsync("UPDATE notification_outbox SET status = 'dead', claim_token = NULL WHERE tenant_id = $1 AND status = 'pending'",
                flooding.Tenant.TenantId);
        }
    }
}
