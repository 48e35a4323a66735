using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using PulseStream.Alerting.Escalation;
using PulseStream.Hosting;
using PulseStream.Storage;
using PulseStream.Testing;

namespace PulseStream.IntegrationTests;

/// <summary>
/// A host whose policy minute lasts one second (<c>Escalation__MinuteLength</c>, test-only; policies are validated in
/// whole minutes as always), with a short escalation lease so a killed host's claim lapses quickly.
/// </summary>
public sealed class EscalationHostFixture : IAsyncLifetime
{
    public static readonly TimeSpan Minute = TimeSpan.FromSeconds(1);

    public LocalHostProcess Host { get; private set; } = null!;
    public Dictionary<string, string> Settings { get; } = new()
    {
        ["Escalation__MinuteLength"] = "00:00:01",
        ["Escalation__Lease"] = "00:00:03",
        ["Escalation__MutedRecheck"] = "00:00:01",
    };

    public async Task InitializeAsync() => Host = await LocalHostProcess.StartAsync("pulse_escalation", settings =>
    {
        foreach (var (key, value) in Settings) settings[key] = value;
    });

    public async Task DisposeAsync() => await Host.DisposeAsync();
}

/// <summary>
/// The escalation engine on a real host (issue 14 §1): alerts of a rule with a policy that fire run its steps, each
/// step's deliveries in the delivery log and the alert's timeline; an ack or a resolve stops it; the ack timeout
/// re-triggers; a muted alert's step waits; a host killed between steps and racing runners fire each step once.
/// </summary>
public class EscalationTests(EscalationHostFixture fixture) : IClassFixture<EscalationHostFixture>
{
    private LocalHostProcess Host => fixture.Host;
    private const string Password = "a long password 123";

    /// <summary>A tenant with its owner's session, a channel for the rule's own notifications and two for the policy's steps (nobody listens).</summary>
    private sealed record Scenario(Guid TenantId, string ApiKey, string Token, Guid OwnerId, string OwnerEmail, Guid RuleChannel, Guid First, Guid Second);

    private async Task<Scenario> NewTenantAsync(string name)
    {
        var provisioner = Provisioning.For(Host);
        var tenant = await provisioner.CreateTenantAsync(name, $"e-{Guid.NewGuid():N}@example.com", Password, default);
        async Task<Guid> ChannelAsync(string channelName) =>
            (await provisioner.CreateWebhookChannelAsync(tenant.TenantId, channelName, new Uri($"http://127.0.0.1:{TestEnvironment.FreePort()}/hook"), default)).ChannelId;
        return new Scenario(tenant.TenantId, tenant.ApiKey, await Host.LoginAsync(tenant.OwnerEmail, Password), tenant.OwnerId, tenant.OwnerEmail,
            await ChannelAsync("Rule hook"), await ChannelAsync("First line"), await ChannelAsync("Second line"));
    }

    private async Task<Guid> PolicyAsync(Scenario s, object body)
    {
        var (status, policy) = await Host.SendJsonAsync(HttpMethod.Post, "api/v1/escalation-policies", s.Token, body);
        Assert.True(status == HttpStatusCode.Created, $"{(int)status} {policy}");
        return policy.GetProperty("id").GetGuid();
    }

    /// <summary>Creates an error-rate rule on <paramref name="route"/> naming the policy, and posts failing requests until its alert fires: the alert's id.</summary>
    private async Task<Guid> FireAsync(Scenario s, Guid policyId, string route, string ruleName = "Checkout errors")
    {
        var (status, rule) = await Host.SendJsonAsync(HttpMethod.Post, "api/v1/alert-rules", s.Token, new
        {
            name = ruleName, enabled = true, severity = "critical",
            condition = new { type = "threshold", metric = "error_rate", @operator = ">", threshold = 0.2, window = "5m", filters = new { route }, minRequests = 20 },
            channelIds = new[] { s.RuleChannel }, escalationPolicyId = policyId, groupWait = "0s", groupInterval = "0s",
        });
        Assert.True(status == HttpStatusCode.Created, $"{(int)status} {rule}");
        var count = 25;
        Assert.True(await LocalHostProcess.EventuallyAsync(async () =>
        {
            using var response = await Host.Http.SendAsync(Host.Ingest("api/v1/events/batch", Payloads.Batch(Enumerable.Range(0, count).Select(_ => Payloads.Event(route, 503, 40))), s.ApiKey));
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            count = 1;
            return await Host.ScalarAsync("SELECT count(*) FROM alerts WHERE tenant_id = $1 AND state = 'firing'", s.TenantId) == 1;
        }, TimeSpan.FromSeconds(60)), "the alert did not fire\n" + Host.Output);
        return await Host.ScalarGuidAsync("SELECT id FROM alerts WHERE tenant_id = $1 AND state = 'firing'", s.TenantId);
    }

    private Task<long> DeliveriesAsync(Scenario s, Guid alertId, Guid channelId) =>
        Host.ScalarAsync("SELECT count(*) FROM notification_outbox WHERE tenant_id = $1 AND alert_id = $2 AND channel_id = $3", s.TenantId, alertId, channelId);

    private Task<long> RunsAsync(Scenario s, Guid alertId) =>
        Host.ScalarAsync("SELECT count(*) FROM escalation_state WHERE tenant_id = $1 AND alert_id = $2", s.TenantId, alertId);

    /// <summary>The alert as its detail answers it, with the timeline's escalation entries.</summary>
    private async Task<(JsonElement Alert, List<JsonElement> Escalations)> DetailAsync(Scenario s, Guid alertId)
    {
        var alert = await Host.GetJsonAsync($"api/v1/alerts/{alertId}", s.Token);
        return (alert, alert.GetProperty("timeline").EnumerateArray().Where(e => e.GetProperty("kind").GetString() == "escalation").ToList());
    }

    private static string Message(JsonElement entry) => entry.GetProperty("message").GetString()!;

    private static DateTimeOffset At(JsonElement entry) => entry.GetProperty("at").GetDateTimeOffset();

    private async Task WaitForAsync(Func<Task<bool>> condition, string what, int seconds = 40) =>
        Assert.True(await LocalHostProcess.EventuallyAsync(condition, TimeSpan.FromSeconds(seconds)), what + "\n" + Host.Output);

    [Fact]
    public async Task Each_step_notifies_its_channels_and_present_members_in_the_timeline_and_delivery_log_and_repeat_runs_the_policy_again()
    {
        var s = await NewTenantAsync("Escalating Co");
        var leaver = await People.InviteAndAcceptAsync(Host, s.Token, "viewer");
        var policyId = await PolicyAsync(s, new
        {
            name = "Checkout on-call", repeat = 1,
            steps = new object[]
            {
                new { delay = "1m", channelIds = new[] { s.First } },
                new { delay = "2m", channelIds = new[] { s.Second }, userIds = new[] { s.OwnerId, leaver.Id } },
            },
        });
        // The member leaves after the policy named them: their step skips them, and says so.
        Assert.Equal(HttpStatusCode.NoContent, (await Host.SendJsonAsync(HttpMethod.Delete, $"api/v1/users/{leaver.Id}", s.Token)).Status);

        var alertId = await FireAsync(s, policyId, "/v1/checkout");
        await WaitForAsync(async () => (await DetailAsync(s, alertId)).Escalations.Count == 4 && await RunsAsync(s, alertId) == 0, "the policy did not run its four steps");

        var (alert, escalations) = await DetailAsync(s, alertId);
        var step2 = $"notified channel \"Second line\"; e-mailed {s.OwnerEmail}; skipped a member who is no longer in the tenant.";
        Assert.Equal([
            "Step 1 of 2 (cycle 1 of 2) of Checkout on-call: notified channel \"First line\".",
            $"Step 2 of 2 (cycle 1 of 2) of Checkout on-call: {step2}",
            "Step 1 of 2 (cycle 2 of 2) of Checkout on-call: notified channel \"First line\".",
            $"Step 2 of 2 (cycle 2 of 2) of Checkout on-call: {step2}",
        ], escalations.Select(Message));
        // Each step waits its delay after the one before (the first: after the alert fired), in this host's 1 s minutes.
        var firedAt = alert.GetProperty("firingAt").GetDateTimeOffset();
        var delays = new[] { 1, 2, 1, 2 };
        var before = firedAt;
        for (var i = 0; i < 4; i++)
        {
            Assert.True(At(escalations[i]) - before >= TimeSpan.FromSeconds(delays[i]) - TimeSpan.FromMilliseconds(5), $"step {i}: {before:O} -> {At(escalations[i]):O}");
            before = At(escalations[i]);
        }

        // The delivery log: the rule's own alert.firing, one delivery per step and channel, and one e-mail per step and
        // present member (the member, not a channel, is its target), each its own id.
        var items = (await Host.GetJsonAsync($"api/v1/deliveries?alertId={alertId}", s.Token)).GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(7, items.Count);
        Assert.All(items, i => Assert.Equal("alert.firing", i.GetProperty("eventType").GetString()));
        Guid? ChannelOf(JsonElement i) => i.GetProperty("channelId").ValueKind == JsonValueKind.Null ? null : i.GetProperty("channelId").GetGuid();
        Assert.Equal(1, items.Count(i => ChannelOf(i) == s.RuleChannel));
        Assert.Equal(2, items.Count(i => ChannelOf(i) == s.First));
        Assert.Equal(2, items.Count(i => ChannelOf(i) == s.Second));
        var emails = items.Where(i => ChannelOf(i) is null).ToList();
        Assert.Equal(2, emails.Count);
        Assert.All(emails, i => Assert.Equal(s.OwnerId, i.GetProperty("memberId").GetGuid()));
        Assert.All(items.Where(i => ChannelOf(i) is not null), i => Assert.Equal(JsonValueKind.Null, i.GetProperty("memberId").ValueKind));
        Assert.Equal(7, items.Select(i => i.GetProperty("id").GetGuid()).Distinct().Count());
        // ... and the timeline lists each of them.
        var notified = alert.GetProperty("timeline").EnumerateArray().Where(e => e.GetProperty("kind").GetString() == "notification")
            .Select(e => e.GetProperty("deliveryId").GetGuid()).ToHashSet();
        Assert.True(items.All(i => notified.Contains(i.GetProperty("id").GetGuid())), alert.ToString());

        // Nothing more: the run used up its repeat.
        await Task.Delay(EscalationHostFixture.Minute * 4);
        Assert.Equal(4, (await DetailAsync(s, alertId)).Escalations.Count);
    }

    [Fact]
    public async Task An_acknowledgement_stops_the_policy_and_so_does_a_resolve()
    {
        var acked = await NewTenantAsync("Acking Co");
        var resolved = await NewTenantAsync("Resolving Co");
        object Policy(Scenario s) => new
        {
            name = "Two steps",
            steps = new object[] { new { delay = "1m", channelIds = new[] { s.First } }, new { delay = "8m", channelIds = new[] { s.Second } } },
        };
        var ackedAlert = await FireAsync(acked, await PolicyAsync(acked, Policy(acked)), "/v1/pay");
        var resolvedAlert = await FireAsync(resolved, await PolicyAsync(resolved, Policy(resolved)), "/v1/pay");
        await WaitForAsync(async () => await DeliveriesAsync(acked, ackedAlert, acked.First) == 1 && await DeliveriesAsync(resolved, resolvedAlert, resolved.First) == 1,
            "the first steps did not run");

        Assert.Equal(HttpStatusCode.OK, (await Host.SendJsonAsync(HttpMethod.Post, $"api/v1/alerts/{ackedAlert}/ack", acked.Token)).Status);
        Assert.Equal(HttpStatusCode.OK, (await Host.SendJsonAsync(HttpMethod.Post, $"api/v1/alerts/{resolvedAlert}/resolve", resolved.Token)).Status);
        // The run ends in the ack's and the resolve's own transaction (the policy has no ack timeout).
        Assert.Equal(0, await RunsAsync(acked, ackedAlert));
        Assert.Equal(0, await RunsAsync(resolved, resolvedAlert));

        // Past the second step's instant, neither alert reached its second line.
        var firstStepAt = At((await DetailAsync(acked, ackedAlert)).Escalations[0]);
        var wait = firstStepAt + EscalationHostFixture.Minute * 10 - DateTimeOffset.UtcNow;
        if (wait > TimeSpan.Zero) await Task.Delay(wait);
        Assert.Equal(0, await DeliveriesAsync(acked, ackedAlert, acked.Second));
        Assert.Equal(0, await DeliveriesAsync(resolved, resolvedAlert, resolved.Second));
        Assert.Single((await DetailAsync(acked, ackedAlert)).Escalations);
        Assert.Single((await DetailAsync(resolved, resolvedAlert)).Escalations);
    }

    [Fact]
    public async Task An_acknowledged_alert_not_resolved_within_the_ack_timeout_fires_again_and_the_policy_starts_again()
    {
        var s = await NewTenantAsync("Forgetful Co");
        var policyId = await PolicyAsync(s, new { name = "Page again", ackTimeout = "3m", steps = new[] { new { delay = "1m", channelIds = new[] { s.First } } } });
        var alertId = await FireAsync(s, policyId, "/v1/orders");
        await WaitForAsync(async () => await DeliveriesAsync(s, alertId, s.First) == 1, "the first step did not run");

        // The run has used up its one step, and still waits for an acknowledgement's timeout.
        var (status, ack) = await Host.SendJsonAsync(HttpMethod.Post, $"api/v1/alerts/{alertId}/ack", s.Token);
        Assert.Equal(HttpStatusCode.OK, status);
        var acknowledgedAt = ack.GetProperty("acknowledgedAt").GetDateTimeOffset();
        Assert.Equal("acknowledged", await Host.ScalarTextAsync("SELECT phase FROM escalation_state WHERE tenant_id = $1 AND alert_id = $2", s.TenantId, alertId));

        // The live feed, connected as the dashboard connects, hears of the re-trigger.
        var (url, accessToken) = await Host.NegotiateAsync(s.Token);
        await using var live = new HubConnectionBuilder().WithUrl(url, o => o.AccessTokenProvider = () => Task.FromResult<string?>(accessToken)).Build();
        var messages = Channel.CreateUnbounded<JsonElement>();
        live.On<JsonElement>("alert", alert => messages.Writer.TryWrite(alert));
        await live.StartAsync();

        await WaitForAsync(async () => (await DetailAsync(s, alertId)).Alert.GetProperty("state").GetString() == "firing", "the ack timeout did not re-trigger the alert");
        using (var heard = new CancellationTokenSource(TimeSpan.FromSeconds(20)))
        {
            JsonElement message;
            do message = await messages.Reader.ReadAsync(heard.Token);
            while (message.GetProperty("id").GetGuid() != alertId);
            Assert.Equal("firing", message.GetProperty("state").GetString());
            Assert.Equal(JsonValueKind.Null, message.GetProperty("acknowledgedAt").ValueKind);
        }
        var (alert, escalations) = await DetailAsync(s, alertId);
        Assert.Equal(JsonValueKind.Null, alert.GetProperty("acknowledgedAt").ValueKind);
        var retrigger = escalations.Single(e => Message(e).StartsWith("Not resolved", StringComparison.Ordinal));
        Assert.Equal("Not resolved within the ack timeout (3m) of Page again: firing again, and the policy starts again.", Message(retrigger));
        Assert.Equal("firing", retrigger.GetProperty("state").GetString());
        Assert.True(At(retrigger) - acknowledgedAt >= EscalationHostFixture.Minute * 3 - TimeSpan.FromMilliseconds(5), $"{acknowledgedAt:O} -> {At(retrigger):O}");

        // The rule's own channel hears it fire again (as PagerDuty's ack timeout re-opens the incident), in the re-trigger's transaction.
        var ruleFirings = (await Host.GetJsonAsync($"api/v1/deliveries?alertId={alertId}&channelId={s.RuleChannel}", s.Token)).GetProperty("items").EnumerateArray()
            .Where(i => i.GetProperty("eventType").GetString() == "alert.firing").ToList();
        Assert.Equal(2, ruleFirings.Count);
        Assert.Contains(ruleFirings, i => i.GetProperty("createdAt").GetDateTimeOffset() == At(retrigger));

        // The policy's first step runs again: a new delivery of its own.
        await WaitForAsync(async () => await DeliveriesAsync(s, alertId, s.First) == 2, "the policy did not start again");
        Assert.Equal(2, await Host.ScalarAsync("SELECT count(DISTINCT id) FROM notification_outbox WHERE tenant_id = $1 AND alert_id = $2 AND channel_id = $3",
            s.TenantId, alertId, s.First));
        Assert.Equal(["Step 1 of 1 of Page again: notified channel \"First line\".", Message(retrigger), "Step 1 of 1 of Page again: notified channel \"First line\"."],
            (await DetailAsync(s, alertId)).Escalations.Select(Message));

        // A resolve ends it for good.
        Assert.Equal(HttpStatusCode.OK, (await Host.SendJsonAsync(HttpMethod.Post, $"api/v1/alerts/{alertId}/resolve", s.Token)).Status);
        Assert.Equal(0, await RunsAsync(s, alertId));
    }

    [Fact]
    public async Task A_muted_alert_does_not_escalate_and_its_step_runs_once_the_silence_ends()
    {
        var s = await NewTenantAsync("Quiet Co");
        var (silenceStatus, silence) = await Host.SendJsonAsync(HttpMethod.Post, "api/v1/silences", s.Token, new
        {
            matchers = new[] { new { name = "route", op = "=", value = "/v1/maintenance" } },
            endsAt = DateTimeOffset.UtcNow.AddHours(1), comment = "planned work",
        });
        Assert.True(silenceStatus == HttpStatusCode.Created, $"{(int)silenceStatus} {silence}");
        var policyId = await PolicyAsync(s, new { name = "Patient", steps = new[] { new { delay = "1m", channelIds = new[] { s.First } } } });
        var alertId = await FireAsync(s, policyId, "/v1/maintenance");

        await WaitForAsync(async () => (await DetailAsync(s, alertId)).Escalations.Count == 1, "the muted step did not say it waits");
        var waits = Message((await DetailAsync(s, alertId)).Escalations[0]);
        Assert.StartsWith("Step 1 of 1 of Patient waits: a silence mutes the alert until ", waits);
        // It keeps waiting (looked at every second), said once, with nothing sent.
        await Task.Delay(EscalationHostFixture.Minute * 4);
        Assert.Equal(0, await DeliveriesAsync(s, alertId, s.First));
        Assert.Single((await DetailAsync(s, alertId)).Escalations);
        Assert.Equal(1, await RunsAsync(s, alertId));

        Assert.Equal(HttpStatusCode.NoContent, (await Host.SendJsonAsync(HttpMethod.Delete, $"api/v1/silences/{silence.GetProperty("id").GetGuid()}", s.Token)).Status);
        await WaitForAsync(async () => await DeliveriesAsync(s, alertId, s.First) == 1 && await RunsAsync(s, alertId) == 0, "the step did not run after the silence ended");
        Assert.Equal([waits, "Step 1 of 1 of Patient: notified channel \"First line\"."], (await DetailAsync(s, alertId)).Escalations.Select(Message));
    }

    [Fact]
    public async Task A_host_killed_between_steps_fires_each_step_exactly_once_after_its_restart()
    {
        var s = await NewTenantAsync("Crashing Co");
        var policyId = await PolicyAsync(s, new
        {
            name = "Three steps",
            steps = new object[]
            {
                new { delay = "1m", channelIds = new[] { s.First } },
                new { delay = "3m", channelIds = new[] { s.Second } },
                new { delay = "1m", channelIds = new[] { s.First } },
            },
        });
        var alertId = await FireAsync(s, policyId, "/v1/crash");
        await WaitForAsync(async () => await DeliveriesAsync(s, alertId, s.First) == 1, "the first step did not run");

        // Killed before the second step is due; it becomes due while the host is down.
        Host.Kill();
        Assert.Equal(0, await DeliveriesAsync(s, alertId, s.Second));
        await Task.Delay(EscalationHostFixture.Minute * 4);
        await Host.StartAsync();

        await WaitForAsync(async () => await RunsAsync(s, alertId) == 0, "the run did not finish after the restart");
        await Task.Delay(EscalationHostFixture.Minute * 3);
        Assert.Equal(2, await DeliveriesAsync(s, alertId, s.First));
        Assert.Equal(1, await DeliveriesAsync(s, alertId, s.Second));
        Assert.Equal([
            "Step 1 of 3 of Three steps: notified channel \"First line\".",
            "Step 2 of 3 of Three steps: notified channel \"Second line\".",
            "Step 3 of 3 of Three steps: notified channel \"First line\".",
        ], (await DetailAsync(s, alertId)).Escalations.Select(Message));
    }

    [Fact]
    public async Task Runners_racing_for_a_due_step_enqueue_it_once_and_running_the_same_step_again_enqueues_nothing()
    {
        var s = await NewTenantAsync("Racing Co");
        var policyId = await PolicyAsync(s, new { name = "One step", steps = new[] { new { delay = "1m", channelIds = new[] { s.First, s.Second } } } });
        // An alert that fires, stored as the evaluator stores it, and its run's first step due now; the host's own runner races too.
        var (ruleId, alertId) = (Guid.CreateVersion7(), Guid.CreateVersion7());
        await Host.ExecuteAsync("INSERT INTO alert_rules (tenant_id, id, name, enabled, severity, definition) VALUES ($1, $2, 'Raced', false, 'critical', '{}')", s.TenantId, ruleId);
        await Host.ExecuteAsync("""
            INSERT INTO alerts (tenant_id, id, rule_id, rule_name, group_key, state, severity, started_at, firing_at, updated_at)
            VALUES ($1, $2, $3, 'Raced', '', 'firing', 'critical', now(), now(), now())
            """, s.TenantId, alertId, ruleId);
        const string dueNow = "INSERT INTO escalation_state (tenant_id, alert_id, policy_id, phase, cycle, next_step, next_at) VALUES ($1, $2, $3, 'running', 0, 0, now())";

        await using var runners = new InProcessRunners(Host, fixture.Settings);
        await Host.ExecuteAsync(dueNow, s.TenantId, alertId, policyId);
        using (var start = new Barrier(4))
            await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
            {
                start.SignalAndWait();
                for (var round = 0; round < 3; round++) await runners.Runner.RunDueAsync(default);
            })));
        await WaitForAsync(async () => await RunsAsync(s, alertId) == 0, "the step did not run");
        Assert.Equal(1, await DeliveriesAsync(s, alertId, s.First));
        Assert.Equal(1, await DeliveriesAsync(s, alertId, s.Second));
        Assert.Single((await DetailAsync(s, alertId)).Escalations);

        // The same position again (as a runner whose claim lapsed after it enqueued would meet it): the outbox ids are
        // the same, so no second delivery is enqueued.
        await Host.ExecuteAsync(dueNow, s.TenantId, alertId, policyId);
        await WaitForAsync(async () => await RunsAsync(s, alertId) == 0, "the repeated step did not run");
        Assert.Equal(1, await DeliveriesAsync(s, alertId, s.First));
        Assert.Equal(1, await DeliveriesAsync(s, alertId, s.Second));
    }

    [Fact]
    public async Task A_steps_members_are_emailed_through_the_outbox_and_a_host_killed_before_the_send_sends_after_its_restart()
    {
        var s = await NewTenantAsync("Paging Co");
        var leaver = await People.InviteAndAcceptAsync(Host, s.Token, "viewer");
        var policyId = await PolicyAsync(s, new { name = "Mail the on-call", steps = new[] { new { delay = "1m", channelIds = Array.Empty<Guid>(), userIds = new[] { s.OwnerId, leaver.Id } } } });
        var (ruleId, alertId) = (Guid.CreateVersion7(), Guid.CreateVersion7());
        await Host.ExecuteAsync("INSERT INTO alert_rules (tenant_id, id, name, enabled, severity, definition) VALUES ($1, $2, 'Paged', false, 'critical', '{}')", s.TenantId, ruleId);
        await Host.ExecuteAsync("""
            INSERT INTO alerts (tenant_id, id, rule_id, rule_name, group_key, state, severity, started_at, firing_at, updated_at)
            VALUES ($1, $2, $3, 'Paged', '', 'firing', 'critical', now(), now(), now())
            """, s.TenantId, alertId, ruleId);

        // The host is down: the step runs in this process (it enqueues, it sends nothing), and nothing sends it until the host is back.
        Host.Kill();
        try
        {
            await using (var runners = new InProcessRunners(Host, fixture.Settings))
            {
                await Host.ExecuteAsync("INSERT INTO escalation_state (tenant_id, alert_id, policy_id, phase, cycle, next_step, next_at) VALUES ($1, $2, $3, 'running', 0, 0, now())",
                    s.TenantId, alertId, policyId);
                // (Other tests' due rows may run in the same round.)
                Assert.True(await runners.Runner.RunDueAsync(default) >= 1);
            }
            Assert.Equal(0, await RunsAsync(s, alertId));
            Assert.Equal(2, await Host.ScalarAsync("SELECT count(*) FROM notification_outbox WHERE tenant_id = $1 AND alert_id = $2 AND member_id IS NOT NULL AND status = 'pending'",
                s.TenantId, alertId));
            // One of them leaves the tenant before the e-mail goes out: they are not e-mailed.
            await Host.ExecuteAsync("DELETE FROM users WHERE tenant_id = $1 AND id = $2", s.TenantId, leaver.Id);
        }
        finally
        {
            await Host.StartAsync();
        }

        async Task<List<JsonElement>> MailAsync() => (await Host.Http.GetFromJsonAsync<JsonElement>("local/mail")).EnumerateArray()
            .Where(m => m.GetProperty("to").EnumerateArray().Any(t => t.GetString() == s.OwnerEmail || t.GetString() == leaver.Email)).ToList();
        await WaitForAsync(async () => (await MailAsync()).Count == 1, "the member's e-mail was not sent after the restart");
        var mail = (await MailAsync()).Single();
        Assert.Equal([s.OwnerEmail], mail.GetProperty("to").EnumerateArray().Select(t => t.GetString()));
        Assert.Equal("[PulseStream] Escalation: Firing: Paged (critical)", mail.GetProperty("subject").GetString());

        // The delivery log lists both, by member: the one delivered, the other dead for good with the reason.
        await WaitForAsync(async () => (await Host.GetJsonAsync($"api/v1/deliveries?alertId={alertId}", s.Token)).GetProperty("items").EnumerateArray()
            .All(i => i.GetProperty("state").GetString() != "pending"), "the deliveries did not finish");
        var items = (await Host.GetJsonAsync($"api/v1/deliveries?alertId={alertId}", s.Token)).GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(2, items.Count);
        Assert.All(items, i => Assert.Equal(JsonValueKind.Null, i.GetProperty("channelId").ValueKind));
        var sent = items.Single(i => i.GetProperty("memberId").GetGuid() == s.OwnerId);
        Assert.Equal("delivered", sent.GetProperty("state").GetString());
        Assert.Equal(250, sent.GetProperty("attempts")[0].GetProperty("statusCode").GetInt32());
        var gone = items.Single(i => i.GetProperty("memberId").GetGuid() == leaver.Id);
        Assert.Equal("dead", gone.GetProperty("state").GetString());
        Assert.Equal("Not sent: the member is no longer in the tenant.", gone.GetProperty("lastError").GetString());

        // The timeline names the step's members and lists their deliveries.
        var (alert, escalations) = await DetailAsync(s, alertId);
        Assert.Equal([$"Step 1 of 1 of Mail the on-call: e-mailed {s.OwnerEmail}, {leaver.Email}."], escalations.Select(Message));
        var notified = alert.GetProperty("timeline").EnumerateArray().Where(e => e.GetProperty("kind").GetString() == "notification").ToList();
        Assert.Equal(new[] { s.OwnerId, leaver.Id }.Order(), notified.Select(e => e.GetProperty("memberId").GetGuid()).Order());
    }

    [Fact]
    public async Task A_tenant_with_many_due_escalations_leaves_room_in_one_claim_for_another_tenants_step()
    {
        var busy = await NewTenantAsync("Busy Co");
        var quiet = await NewTenantAsync("Quiet step Co");
        var busyPolicy = await PolicyAsync(busy, new { name = "Flood", steps = new[] { new { delay = "1m", channelIds = new[] { busy.First } } } });
        var quietPolicy = await PolicyAsync(quiet, new { name = "One", steps = new[] { new { delay = "1m", channelIds = new[] { quiet.First } } } });
        // Due tomorrow, so that the host's own runner leaves them alone: 300 of the busy tenant, all due before the quiet tenant's one.
        var at = DateTimeOffset.UtcNow.AddDays(1);
        await Host.ExecuteAsync("""
            INSERT INTO escalation_state (tenant_id, alert_id, policy_id, phase, cycle, next_step, next_at)
            SELECT $1, gen_random_uuid(), $2, 'running', 0, 0, $3 - make_interval(secs => g) FROM generate_series(1, 300) g
            """, busy.TenantId, busyPolicy, at);
        var quietAlert = Guid.CreateVersion7();
        await Host.ExecuteAsync("INSERT INTO escalation_state (tenant_id, alert_id, policy_id, phase, cycle, next_step, next_at) VALUES ($1, $2, $3, 'running', 0, 0, $4)",
            quiet.TenantId, quietAlert, quietPolicy, at);

        async Task<List<Guid>> ClaimAsync(DateTimeOffset now)
        {
            var tenants = new List<Guid>();
            await using var connection = new NpgsqlConnection(Host.AppConnectionString);
            await connection.OpenAsync();
            await using var claim = new NpgsqlCommand("SELECT tenant_id FROM claim_due_escalations($1, 100, interval '30 seconds', 20)", connection);
            claim.Parameters.AddWithValue(now);
            await using var reader = await claim.ExecuteReaderAsync();
            while (await reader.ReadAsync()) tenants.Add(reader.GetGuid(0));
            return tenants;
        }

        // The first round claims the busy tenant's share (20 of its 300) and the quiet tenant's step, though 300 were due before it.
        var first = await ClaimAsync(at.AddSeconds(1));
        Assert.Equal(1, first.Count(t => t == quiet.TenantId));
        Assert.Equal(20, first.Count(t => t == busy.TenantId));
        Assert.Equal(1, await Host.ScalarAsync("SELECT count(*) FROM escalation_state WHERE tenant_id = $1 AND alert_id = $2 AND claim_token IS NOT NULL", quiet.TenantId, quietAlert));
        // While its 20 claims run, the busy tenant gets no more; once they lapse (or are moved on), the next 20.
        Assert.Empty(await ClaimAsync(at.AddSeconds(2)));
        Assert.Equal(20, (await ClaimAsync(at.AddSeconds(40))).Count(t => t == busy.TenantId));
        await Host.ExecuteAsync("DELETE FROM escalation_state WHERE tenant_id = ANY($1)", new[] { busy.TenantId, quiet.TenantId });
    }

    /// <summary>An Alerts instance's escalation runner in the test process, on the host's database with the host's settings.</summary>
    private sealed class InProcessRunners : IAsyncDisposable
    {
        private readonly ServiceProvider _services;

        public InProcessRunners(LocalHostProcess host, IDictionary<string, string> settings)
        {
            var values = settings.ToDictionary(kv => kv.Key.Replace("__", ":", StringComparison.Ordinal), kv => (string?)kv.Value);
            values["Secrets:ProtectionKey"] = host.ProtectionKey;
            var services = new ServiceCollection();
            services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(values).Build());
            services.AddLogging();
            services.AddSingleton(TimeProvider.System);
            services.AddSingleton(NpgsqlDataSource.Create(host.AppConnectionString));
            services.AddSingleton<Database>();
            services.AddAlerting();
            _services = services.BuildServiceProvider();
        }

        public EscalationRunner Runner => _services.GetRequiredService<EscalationRunner>();

        public ValueTask DisposeAsync() => _services.DisposeAsync();
    }
}
