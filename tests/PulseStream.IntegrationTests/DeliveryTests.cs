using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using PulseStream.Notifications;
using PulseStream.Testing;

namespace PulseStream.IntegrationTests;

/// <summary>
/// A host whose delivery schedule is compressed from about a day to seconds (the schedule's shape is the same, and
/// checked at its real length in the unit tests): a short lease, short attempts, a few quick retries.
/// </summary>
public sealed class DeliveryHostFixture : IAsyncLifetime
{
    // Long enough that a claim is lost only when three renewals in a row miss (a stall of 4 s): CI runs two test
    // classes beside each other on two cores, and a 2 s lease was once taken over under that load.
    public static readonly TimeSpan Lease = TimeSpan.FromSeconds(4);

    public LocalHostProcess Host { get; private set; } = null!;
    public Dictionary<string, string> Settings { get; } = new()
    {
        ["Deliveries__Lease"] = "00:00:04",
        ["Deliveries__AttemptTimeout"] = "00:00:08",
        ["Deliveries__MaxAttempts"] = "4",
        ["Deliveries__FirstRetryDelay"] = "00:00:01",
        ["Deliveries__RetryFactor"] = "2",
        ["Deliveries__Jitter"] = "0",
    };

    public async Task InitializeAsync() => Host = await LocalHostProcess.StartAsync("pulse_deliveries", settings =>
    {
        foreach (var (key, value) in Settings) settings[key] = value;
    });

    public async Task DisposeAsync() => await Host.DisposeAsync();
}

/// <summary>Deliveries proven against real receivers on loopback: retried, timed out, slow, interrupted, replayed.</summary>
public class DeliveryTests(DeliveryHostFixture fixture) : IClassFixture<DeliveryHostFixture>
{
    private LocalHostProcess Host => fixture.Host;

    [Fact]
    public async Task A_receiver_slower_than_the_lease_gets_the_delivery_once_while_a_second_dispatcher_runs()
    {
        // The receiver takes 1.5 leases to answer (the claim must be renewed, and the attempt's timeout is 2 leases);
        // a second Alerts instance dispatches beside the host all along.
        await using var receiver = await LoopbackReceiver.StartAsync(async (_, context) =>
        {
            await Task.Delay(DeliveryHostFixture.Lease * 1.5, context.RequestAborted);
            return 204;
        });
        var scenario = await DeliveryScenario.CreateAsync(Host, receiver.Url);
        await using var second = new SecondDispatcher(Host, fixture.Settings);
        second.Start();

        var (_, deliveryId) = await scenario.EnqueueAsync();
        Assert.True(await LocalHostProcess.EventuallyAsync(async () => await scenario.StateAsync(deliveryId) == "delivered", TimeSpan.FromSeconds(30)),
            $"not delivered: {await scenario.StateAsync(deliveryId)}\n{Host.Output}");
        // Give a late second claim every chance to show itself.
        await Task.Delay(DeliveryHostFixture.Lease * 3);

        var request = Assert.Single(receiver.Requests);
        Assert.Equal(deliveryId.ToString(), request.DeliveryId);
        Assert.Equal(204, request.AnsweredWith);
    }

    [Fact]
    public async Task A_receiver_that_fails_twice_then_accepts_gets_the_delivery_once_with_every_attempt_recorded()
    {
        await using var receiver = await LoopbackReceiver.StartAsync((n, _) => Task.FromResult(n switch { 1 => 500, 2 => 503, _ => 204 }));
        var scenario = await DeliveryScenario.CreateAsync(Host, receiver.Url);
        var token = await scenario.LoginAsync();
        var (alertId, deliveryId) = await scenario.EnqueueAsync();

        Assert.True(await LocalHostProcess.EventuallyAsync(async () => await scenario.StateAsync(deliveryId) == "delivered", TimeSpan.FromSeconds(40)),
            $"not delivered: {await scenario.StateAsync(deliveryId)}\n{Host.Output}");
        Assert.Equal(3, receiver.Requests.Count);
        Assert.All(receiver.Requests, r => Assert.Equal(deliveryId.ToString(), r.DeliveryId));
        Assert.Equal(3, Assert.Single(receiver.Accepted).Number);

        var page = await Host.GetJsonAsync($"api/v1/deliveries?alertId={alertId}", token);
        var item = Assert.Single(page.GetProperty("items").EnumerateArray());
        Assert.Equal(deliveryId, item.GetProperty("id").GetGuid());
        Assert.Equal(alertId, item.GetProperty("alertId").GetGuid());
        Assert.Equal(scenario.Channel.ChannelId, item.GetProperty("channelId").GetGuid());
        Assert.Equal("alert.firing", item.GetProperty("eventType").GetString());
        Assert.Equal("delivered", item.GetProperty("state").GetString());
        Assert.Equal(JsonValueKind.String, item.GetProperty("deliveredAt").ValueKind);
        Assert.Equal(JsonValueKind.Null, item.GetProperty("nextAttemptAt").ValueKind);
        var attempts = item.GetProperty("attempts").EnumerateArray().ToList();
        Assert.Equal([500, 503, 204], attempts.Select(a => a.GetProperty("statusCode").GetInt32()));
        Assert.Equal(["The receiver answered 500.", "The receiver answered 503.", null], attempts.Select(a => a.GetProperty("error").GetString()));
        Assert.All(attempts, a => Assert.True(a.GetProperty("latencyMs").GetDouble() > 0));
        // Backoff: the second wait is longer than the first (1 s, then 2 s in this host's compressed schedule).
        var at = attempts.Select(a => a.GetProperty("at").GetDateTimeOffset()).ToList();
        Assert.True(at[1] - at[0] >= TimeSpan.FromSeconds(0.9), $"{at[0]:O} -> {at[1]:O}");
        Assert.True(at[2] - at[1] >= TimeSpan.FromSeconds(1.9), $"{at[1]:O} -> {at[2]:O}");

        // The channel's health: a success after failures clears the failure count.
        Assert.Equal(0, await Host.ScalarAsync("SELECT consecutive_failures FROM channels WHERE tenant_id = $1 AND id = $2", scenario.Tenant.TenantId, scenario.Channel.ChannelId));
        Assert.Equal(1, await Host.ScalarAsync("SELECT count(*) FROM channels WHERE tenant_id = $1 AND id = $2 AND last_success_at IS NOT NULL AND failing_since IS NULL",
            scenario.Tenant.TenantId, scenario.Channel.ChannelId));

        // Filters: by channel and state; another tenant sees none of it.
        Assert.Single((await Host.GetJsonAsync($"api/v1/deliveries?channelId={scenario.Channel.ChannelId}&state=delivered", token)).GetProperty("items").EnumerateArray());
        Assert.Empty((await Host.GetJsonAsync($"api/v1/deliveries?channelId={scenario.Channel.ChannelId}&state=dead", token)).GetProperty("items").EnumerateArray());
        Assert.Empty((await Host.GetJsonAsync($"api/v1/deliveries?alertId={alertId}", await Host.LoginAsync())).GetProperty("items").EnumerateArray());
    }

    [Fact]
    public async Task A_receiver_that_never_answers_times_out_until_the_delivery_is_dead_and_a_replay_delivers_it()
    {
        var answering = false;
        await using var receiver = await LoopbackReceiver.StartAsync((_, context) => Volatile.Read(ref answering) ? Task.FromResult(204) : LoopbackReceiver.NeverAnswer(context));
        var scenario = await DeliveryScenario.CreateAsync(Host, receiver.Url);
        var token = await scenario.LoginAsync();
        var (alertId, deliveryId) = await scenario.EnqueueAsync();

        Assert.True(await LocalHostProcess.EventuallyAsync(async () => await scenario.StateAsync(deliveryId) == "dead", TimeSpan.FromSeconds(90)),
            $"not dead: {await scenario.StateAsync(deliveryId)}\n{Host.Output}");
        var dead = Assert.Single((await Host.GetJsonAsync($"api/v1/deliveries?alertId={alertId}&state=dead", token)).GetProperty("items").EnumerateArray());
        var attempts = dead.GetProperty("attempts").EnumerateArray().ToList();
        Assert.Equal(4, attempts.Count);
        Assert.All(attempts, a =>
        {
            Assert.Equal(JsonValueKind.Null, a.GetProperty("statusCode").ValueKind);
            Assert.Equal("The receiver did not answer within 8 s.", a.GetProperty("error").GetString());
        });
        Assert.Equal(4, receiver.Requests.Count);
        Assert.Empty(receiver.Accepted);

        // Only an Admin replays, only a dead delivery, only the tenant's own.
        using (var foreign = await Host.Http.SendAsync(Host.Authorized(HttpMethod.Post, $"api/v1/deliveries/{deliveryId}/retry", await Host.LoginAsync())))
            Assert.Equal(HttpStatusCode.NotFound, foreign.StatusCode);
        using (var unknown = await Host.Http.SendAsync(Host.Authorized(HttpMethod.Post, $"api/v1/deliveries/{Guid.NewGuid()}/retry", token)))
            Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);

        Volatile.Write(ref answering, true);
        using (var retry = await Host.Http.SendAsync(Host.Authorized(HttpMethod.Post, $"api/v1/deliveries/{deliveryId}/retry", token)))
        {
            Assert.Equal(HttpStatusCode.Accepted, retry.StatusCode);
            var body = await retry.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal(deliveryId, body.GetProperty("id").GetGuid());
            Assert.Equal("pending", body.GetProperty("state").GetString());
        }
        Assert.True(await LocalHostProcess.EventuallyAsync(async () => await scenario.StateAsync(deliveryId) == "delivered", TimeSpan.FromSeconds(30)),
            $"the replay was not delivered: {await scenario.StateAsync(deliveryId)}\n{Host.Output}");
        var accepted = Assert.Single(receiver.Accepted);
        Assert.Equal(deliveryId.ToString(), accepted.DeliveryId);
        var replayed = Assert.Single((await Host.GetJsonAsync($"api/v1/deliveries?alertId={alertId}", token)).GetProperty("items").EnumerateArray());
        Assert.Equal(5, replayed.GetProperty("attempts").GetArrayLength());
        Assert.Equal(204, replayed.GetProperty("attempts")[4].GetProperty("statusCode").GetInt32());

        using (var again = await Host.Http.SendAsync(Host.Authorized(HttpMethod.Post, $"api/v1/deliveries/{deliveryId}/retry", token)))
            await IngestPipelineTests.AssertProblem(again, HttpStatusCode.Conflict, "invalid-transition");
        Assert.Equal(1, await Host.ScalarAsync("SELECT count(*) FROM audit_log WHERE tenant_id = $1 AND action = 'delivery.retry' AND target_id = $2 AND actor_type = 'user'",
            scenario.Tenant.TenantId, deliveryId.ToString()));
    }

    [Fact]
    public async Task A_host_killed_mid_delivery_makes_the_delivery_once_after_its_restart()
    {
        var arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var receiver = await LoopbackReceiver.StartAsync((n, context) =>
        {
            if (n > 1) return Task.FromResult(204);
            arrived.TrySetResult();
            return LoopbackReceiver.NeverAnswer(context);
        });
        var scenario = await DeliveryScenario.CreateAsync(Host, receiver.Url);
        var (alertId, deliveryId) = await scenario.EnqueueAsync();

        await arrived.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Host.Kill();
        await Host.StartAsync();

        Assert.True(await LocalHostProcess.EventuallyAsync(async () => await scenario.StateAsync(deliveryId) == "delivered", TimeSpan.FromSeconds(30)),
            $"not delivered after the restart: {await scenario.StateAsync(deliveryId)}\n{Host.Output}");
        await Task.Delay(DeliveryHostFixture.Lease * 2);
        Assert.Equal(2, receiver.Requests.Count);
        Assert.All(receiver.Requests, r => Assert.Equal(deliveryId.ToString(), r.DeliveryId));
        Assert.Equal(2, Assert.Single(receiver.Accepted).Number);

        var item = Assert.Single((await Host.GetJsonAsync($"api/v1/deliveries?alertId={alertId}", await scenario.LoginAsync())).GetProperty("items").EnumerateArray());
        Assert.Equal("delivered", item.GetProperty("state").GetString());
        var attempts = item.GetProperty("attempts").EnumerateArray().ToList();
        Assert.Equal(2, attempts.Count);
        Assert.StartsWith("interrupted", attempts[0].GetProperty("error").GetString());
        Assert.Equal(JsonValueKind.Null, attempts[0].GetProperty("statusCode").ValueKind);
        Assert.Equal(204, attempts[1].GetProperty("statusCode").GetInt32());
    }

    [Fact]
    public async Task A_channel_failing_for_three_days_is_disabled_audited_and_its_owners_are_told_by_email()
    {
        await using var receiver = await LoopbackReceiver.StartAsync((_, _) => Task.FromResult(500));
        var scenario = await DeliveryScenario.CreateAsync(Host, receiver.Url);
        // A clock a month ahead: the host's own dispatcher (on the real clock) never finds these deliveries due.
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow.AddDays(30));
        var mail = new RecordingEmailTransport();
        await using var instance = new SecondDispatcher(Host, fixture.Settings, clock, services => services.AddSingleton<IEmailTransport>(mail));
        var start = clock.GetUtcNow();
        async Task<string?> Disabled() => (string?)await Host.ScalarObjectAsync("SELECT disabled_reason FROM channels WHERE tenant_id = $1 AND id = $2",
            scenario.Tenant.TenantId, scenario.Channel.ChannelId);

        var (_, first) = await scenario.EnqueueAsync(now: clock.GetUtcNow());
        await instance.Dispatcher.DispatchDueAsync(default);
        Assert.Equal(1, await Host.ScalarAsync("SELECT consecutive_failures FROM channels WHERE tenant_id = $1 AND id = $2", scenario.Tenant.TenantId, scenario.Channel.ChannelId));

        // Failing on the second and third day: still enabled.
        foreach (var day in new[] { 1, 2 })
        {
            clock.SetUtcNow(start.AddDays(day));
            await scenario.EnqueueAsync(now: clock.GetUtcNow());
            await instance.Dispatcher.DispatchDueAsync(default);
            Assert.Null(await Disabled());
        }
        Assert.Empty(mail.Sent);

        // Three days and a minute after the first failure, the next failure disables it.
        clock.SetUtcNow(start.AddDays(3).AddMinutes(1));
        await scenario.EnqueueAsync(now: clock.GetUtcNow());
        await instance.Dispatcher.DispatchDueAsync(default);
        var reason = await Disabled();
        Assert.NotNull(reason);
        Assert.Contains("The receiver answered 500.", reason);
        Assert.Equal(1, await Host.ScalarAsync("SELECT count(*) FROM audit_log WHERE tenant_id = $1 AND action = 'channel.disable' AND target_id = $2 AND actor_type = 'system'",
            scenario.Tenant.TenantId, scenario.Channel.ChannelId.ToString()));
        var message = Assert.Single(mail.Sent);
        Assert.Equal([scenario.Tenant.OwnerEmail], message.To);
        Assert.Contains("loopback receiver", message.Subject);
        Assert.Contains("loopback receiver", message.PlainText);
        Assert.Contains("<strong>loopback receiver</strong>", message.Html);

        // A disabled channel gets no new deliveries, and what was still pending for it is dead at its next attempt,
        // without counting against the channel again or telling the owners twice.
        var failures = await Host.ScalarAsync("SELECT consecutive_failures FROM channels WHERE tenant_id = $1 AND id = $2", scenario.Tenant.TenantId, scenario.Channel.ChannelId);
        var before = await Host.ScalarAsync("SELECT count(*) FROM notification_outbox WHERE tenant_id = $1", scenario.Tenant.TenantId);
        await scenario.EnqueueAsync(now: clock.GetUtcNow(), expectDelivery: false);
        Assert.Equal(before, await Host.ScalarAsync("SELECT count(*) FROM notification_outbox WHERE tenant_id = $1", scenario.Tenant.TenantId));
        clock.Advance(TimeSpan.FromHours(12));
        await instance.Dispatcher.DispatchDueAsync(default);
        Assert.Equal(0, await Host.ScalarAsync("SELECT count(*) FROM notification_outbox WHERE tenant_id = $1 AND status = 'pending'", scenario.Tenant.TenantId));
        Assert.True(await Host.ScalarAsync("SELECT count(*) FROM notification_outbox WHERE tenant_id = $1 AND status = 'dead' AND last_error = 'The channel is disabled.'",
            scenario.Tenant.TenantId) >= 1);
        Assert.Equal(failures, await Host.ScalarAsync("SELECT consecutive_failures FROM channels WHERE tenant_id = $1 AND id = $2", scenario.Tenant.TenantId, scenario.Channel.ChannelId));
        Assert.Single(mail.Sent);

        // Its dead deliveries cannot be replayed while it is disabled.
        using var retry = await Host.Http.SendAsync(Host.Authorized(HttpMethod.Post, $"api/v1/deliveries/{first}/retry", await scenario.LoginAsync()));
        await IngestPipelineTests.AssertProblem(retry, HttpStatusCode.Conflict, "channel-disabled");
    }

    [Fact]
    public async Task Deliveries_are_listed_newest_first_in_pages_and_bad_filters_are_refused_by_field()
    {
        await using var receiver = await LoopbackReceiver.StartAsync((_, _) => Task.FromResult(204));
        var scenario = await DeliveryScenario.CreateAsync(Host, receiver.Url);
        var token = await scenario.LoginAsync();
        var ids = new List<Guid>();
        for (var i = 0; i < 3; i++) ids.Add((await scenario.EnqueueAsync()).DeliveryId);

        var first = await Host.GetJsonAsync($"api/v1/deliveries?channelId={scenario.Channel.ChannelId}&limit=2", token);
        Assert.Equal([ids[2], ids[1]], first.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetGuid()));
        var next = first.GetProperty("next").GetString();
        Assert.False(string.IsNullOrEmpty(next));
        var second = await Host.GetJsonAsync($"api/v1/deliveries?channelId={scenario.Channel.ChannelId}&limit=2&cursor={next}", token);
        Assert.Equal([ids[0]], second.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetGuid()));
        Assert.Equal(JsonValueKind.Null, second.GetProperty("next").ValueKind);

        using var invalid = await Host.Http.SendAsync(Host.Authorized(HttpMethod.Get, "api/v1/deliveries?alertId=nope&state=sent&cursor=%21%21", token));
        Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
        var problem = await invalid.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(["alertId", "state", "cursor"], problem.GetProperty("errors").EnumerateArray().Select(e => e.GetProperty("field").GetString()));
        using var tooMany = await Host.Http.SendAsync(Host.Authorized(HttpMethod.Get, "api/v1/deliveries?limit=1000", token));
        Assert.Equal(HttpStatusCode.BadRequest, tooMany.StatusCode);
    }

    [Fact]
    public async Task A_receiver_that_answers_gone_ends_the_delivery_at_once()
    {
        await using var receiver = await LoopbackReceiver.StartAsync((_, _) => Task.FromResult(410));
        var scenario = await DeliveryScenario.CreateAsync(Host, receiver.Url);
        var (alertId, deliveryId) = await scenario.EnqueueAsync();
        Assert.True(await LocalHostProcess.EventuallyAsync(async () => await scenario.StateAsync(deliveryId) == "dead", TimeSpan.FromSeconds(30)),
            $"not dead: {await scenario.StateAsync(deliveryId)}\n{Host.Output}");
        var item = Assert.Single((await Host.GetJsonAsync($"api/v1/deliveries?alertId={alertId}", await scenario.LoginAsync())).GetProperty("items").EnumerateArray());
        var attempt = Assert.Single(item.GetProperty("attempts").EnumerateArray());
        Assert.Equal(410, attempt.GetProperty("statusCode").GetInt32());
        Assert.Single(receiver.Requests);
    }

    private sealed class RecordingEmailTransport : IEmailTransport
    {
        private readonly System.Collections.Concurrent.ConcurrentQueue<EmailMessage> _sent = new();
        public IReadOnlyList<EmailMessage> Sent => _sent.ToArray();

        public Task<SendOutcome> SendAsync(EmailMessage message, CancellationToken ct)
        {
            _sent.Enqueue(message);
            return Task.FromResult(SendOutcome.Success(250, TimeSpan.Zero));
        }
    }
}
