using System.Net;
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
            // The flood holds no more than its share of claims at any time (4 a tenant by default; none for a moment while
            // a timed-out attempt is written and its successor not yet claimed).
            Assert.InRange(await Host.ScalarAsync("""
                SELECT count(*) FROM notification_outbox
                WHERE tenant_id = $1 AND status = 'pending' AND claim_token IS NOT NULL AND next_attempt_at > now()
                """, flooding.Tenant.TenantId), 0, 4);

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

    [Fact]
    public async Task A_firing_still_being_retried_is_superseded_once_the_alerts_resolution_is_delivered_to_the_channel()
    {
        // The receiver refuses firings and accepts resolutions.
        LoopbackReceiver? self = null;
        await using var receiver = await LoopbackReceiver.StartAsync((n, _) =>
            Task.FromResult(EventType(self!.Requests.Single(r => r.Number == n)) == "alert.resolved" ? 204 : 500));
        self = receiver;
        var scenario = await DeliveryScenario.CreateAsync(Host, receiver.Url);
        var token = await scenario.LoginAsync();
        var alertId = await scenario.CreateAlertAsync();

        var (_, firing) = await scenario.EnqueueAsync("alert.firing", alertOf: alertId);
        Assert.True(await LocalHostProcess.EventuallyAsync(() => Task.FromResult(receiver.Requests.Any(r => r.AnsweredWith == 500)), TimeSpan.FromSeconds(15)),
            $"the firing was not tried\n{Host.Output}");
        var (_, resolved) = await scenario.EnqueueAsync("alert.resolved", alertOf: alertId);
        Assert.True(await LocalHostProcess.EventuallyAsync(async () => await scenario.StateAsync(resolved) == "delivered", TimeSpan.FromSeconds(15)),
            $"the resolution was not delivered: {await scenario.StateAsync(resolved)}\n{Host.Output}");

        // The firing's retries (1 s, 2 s and 4 s apart on this host) are over: it is superseded, and never sent after the resolution.
        Assert.Equal("superseded", await scenario.StateAsync(firing));
        await Task.Delay(TimeSpan.FromSeconds(4));
        Assert.Equal(["alert.resolved"], receiver.Requests.SkipWhile(r => EventType(r) != "alert.resolved").Select(EventType));

        var items = (await Host.GetJsonAsync($"api/v1/deliveries?alertId={alertId}", token)).GetProperty("items").EnumerateArray().ToList();
        var superseded = Assert.Single(items, i => i.GetProperty("id").GetGuid() == firing);
        Assert.Equal("superseded", superseded.GetProperty("state").GetString());
        Assert.Equal(JsonValueKind.Null, superseded.GetProperty("nextAttemptAt").ValueKind);
        Assert.Equal("Superseded: the alert's alert.resolved was delivered to this channel first.", superseded.GetProperty("lastError").GetString());
        Assert.Equal([firing], (await Host.GetJsonAsync($"api/v1/deliveries?alertId={alertId}&state=superseded", token))
            .GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetGuid()));

        var timeline = (await Host.GetJsonAsync($"api/v1/alerts/{alertId}", token)).GetProperty("timeline").EnumerateArray()
            .Where(e => e.GetProperty("kind").GetString() == "notification").ToDictionary(e => e.GetProperty("deliveryId").GetGuid(), e => e.GetProperty("deliveryState").GetString());
        Assert.Equal("superseded", timeline[firing]);
        Assert.Equal("delivered", timeline[resolved]);

        using var retry = await Host.Http.SendAsync(Host.Authorized(HttpMethod.Post, $"api/v1/deliveries/{firing}/retry", token));
        await IngestPipelineTests.AssertProblem(retry, HttpStatusCode.Conflict, "delivery-superseded");
        Assert.Equal("superseded", await scenario.StateAsync(firing));
    }

    [Fact]
    public async Task A_delivery_replayed_many_times_keeps_its_newest_fifty_attempts()
    {
        await using var receiver = await LoopbackReceiver.StartAsync((_, _) => Task.FromResult(204));
        var scenario = await DeliveryScenario.CreateAsync(Host, receiver.Url);
        var token = await scenario.LoginAsync();
        // A delivery that has been dead and replayed until it has 55 failed attempts (as a receiver down for weeks leaves it).
        var (alertId, deliveryId) = await scenario.EnqueueAsync(now: DateTimeOffset.UtcNow.AddDays(1));
        await Host.ExecuteAsync("UPDATE notification_outbox SET status = 'dead', attempts = 4, last_error = 'The receiver answered 503.' WHERE tenant_id = $1 AND id = $2",
            scenario.Tenant.TenantId, deliveryId);
        await Host.ExecuteAsync("""
            INSERT INTO delivery_attempts (tenant_id, delivery_id, claim_token, started_at, finished_at, status_code, latency_ms, error)
            SELECT $1, $2, gen_random_uuid(), now() - interval '1 day' + n * interval '1 minute', now() - interval '1 day' + n * interval '1 minute', 503, n,
                   'The receiver answered 503.'
            FROM generate_series(1, 55) n
            """, scenario.Tenant.TenantId, deliveryId);

        using (var retry = await Host.Http.SendAsync(Host.Authorized(HttpMethod.Post, $"api/v1/deliveries/{deliveryId}/retry", token)))
            Assert.Equal(HttpStatusCode.Accepted, retry.StatusCode);
        Assert.True(await LocalHostProcess.EventuallyAsync(async () => await scenario.StateAsync(deliveryId) == "delivered", TimeSpan.FromSeconds(15)),
            $"the replay was not delivered: {await scenario.StateAsync(deliveryId)}\n{Host.Output}");

        var item = Assert.Single((await Host.GetJsonAsync($"api/v1/deliveries?alertId={alertId}", token)).GetProperty("items").EnumerateArray());
        var attempts = item.GetProperty("attempts").EnumerateArray().ToList();
        Assert.Equal(50, attempts.Count);
        // The oldest six went; the newest, the replay's success, stays last.
        Assert.Equal(7, attempts[0].GetProperty("latencyMs").GetDouble());
        Assert.Equal(204, attempts[^1].GetProperty("statusCode").GetInt32());
        Assert.Equal(50, await Host.ScalarAsync("SELECT count(*) FROM delivery_attempts WHERE tenant_id = $1 AND delivery_id = $2", scenario.Tenant.TenantId, deliveryId));
    }

    private static string? EventType(LoopbackReceiver.Received request) =>
        JsonDocument.Parse(request.Body).RootElement.GetProperty("type").GetString();
}
