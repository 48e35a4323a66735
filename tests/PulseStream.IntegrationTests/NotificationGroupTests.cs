using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using PulseStream.Alerting;
using PulseStream.Alerting.Routing;
using PulseStream.Hosting;
using PulseStream.Storage;
using PulseStream.Testing;

namespace PulseStream.IntegrationTests;

public sealed class GroupingHostFixture : IAsyncLifetime
{
    public LocalHostProcess Host { get; private set; } = null!;

    public async Task InitializeAsync() => Host = await LocalHostProcess.StartAsync("pulse_grouping", _ => { });

    public async Task DisposeAsync() => await Host.DisposeAsync();
}

/// <summary>
/// Notification groups (issue 14 §2) on the host's database: a rule's alerts reach each channel as one notification
/// listing them, after groupWait; later changes go together once groupInterval has passed; a group that still fires is
/// sent again after repeatInterval; groupInterval 0s sends each change at once; and racing flushers and evaluators
/// write each notification once. The writers (<see cref="AlertNotices"/>) and the flusher run in the test process on
/// a controllable clock a month ahead, so the host's own timers (on the real clock) never find these groups due.
/// </summary>
public class NotificationGroupTests(GroupingHostFixture fixture) : IClassFixture<GroupingHostFixture>
{
    private LocalHostProcess Host => fixture.Host;

    /// <summary>A tenant with two webhook channels (nobody listens) and a disabled rule (the host does not evaluate it) with the given timings.</summary>
    private sealed class Scenario(LocalHostProcess host, Guid tenantId, string token, Guid[] channels, Guid ruleId, FakeTimeProvider clock, ServiceProvider services)
        : IAsyncDisposable
    {
        public Guid TenantId => tenantId;
        public string Token => token;
        public Guid[] Channels => channels;
        public Guid RuleId => ruleId;
        public FakeTimeProvider Clock => clock;
        public Database Database => services.GetRequiredService<Database>();
        public NotificationGroupFlusher Flusher => services.GetRequiredService<NotificationGroupFlusher>();

        /// <summary>Opens <paramref name="count"/> firing alerts (one per route) and records them as evaluation does.</summary>
        public async Task<Guid[]> FireAsync(int count, string prefix = "/v1/r")
        {
            var ids = Enumerable.Range(0, count).Select(_ => Guid.CreateVersion7()).ToArray();
            await host.ExecuteAsync("""
                INSERT INTO alerts (tenant_id, id, rule_id, group_key, state, severity, value, started_at, firing_at, updated_at)
                SELECT $1, u.id, $2, 'route=' || $3 || u.n, 'firing', 'critical', 0.5, $4, $4, $4 FROM unnest($5::uuid[]) WITH ORDINALITY AS u(id, n)
                """, tenantId, ruleId, prefix, clock.GetUtcNow(), ids);
            await RecordAsync(ids);
            return ids;
        }

        /// <summary>Moves <paramref name="ids"/> to <paramref name="state"/> and records the change.</summary>
        public async Task ChangeAsync(IEnumerable<Guid> ids, string state)
        {
            var changed = ids.ToArray();
            await host.ExecuteAsync("UPDATE alerts SET state = $3, updated_at = $4, resolved_at = CASE WHEN $3 = 'resolved' THEN $4 END, acknowledged_at = CASE WHEN $3 = 'acknowledged' THEN $4 END WHERE tenant_id = $1 AND id = ANY($2)",
                tenantId, changed, state, clock.GetUtcNow());
            await RecordAsync(changed);
        }

        private Task RecordAsync(Guid[] ids) => Database.ForTenantAsync(tenantId, async (connection, transaction) =>
        {
            var now = clock.GetUtcNow();
            var views = await AlertQueries.ListAsync(connection, transaction, tenantId, new AlertFilter(Ids: ids), ids.Length, now, default);
            await AlertNotices.EnqueueAsync(connection, transaction, tenantId, channels, views, now, default);
        }, default);

        /// <summary>The tenant's deliveries, oldest first: their event, payload and listed alert ids.</summary>
        public async Task<List<(Guid Channel, string EventType, JsonElement Payload, Guid[] AlertIds)>> DeliveriesAsync()
        {
            await using var connection = new NpgsqlConnection(host.ConnectionString);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand(
                "SELECT channel_id, event_type, payload::text, coalesce(alert_ids, ARRAY[alert_id]) FROM notification_outbox WHERE tenant_id = $1 ORDER BY created_at, id", connection);
            command.Parameters.AddWithValue(tenantId);
            var rows = new List<(Guid, string, JsonElement, Guid[])>();
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
                rows.Add((reader.GetGuid(0), reader.GetString(1), JsonDocument.Parse(reader.GetString(2)).RootElement.Clone(), reader.GetFieldValue<Guid[]>(3)));
            return rows;
        }

        public ValueTask DisposeAsync() => services.DisposeAsync();
    }

    private async Task<Scenario> CreateAsync(string name, string groupWait = "30s", string groupInterval = "5m", string repeatInterval = "4h")
    {
        var provisioner = Provisioning.For(Host);
        var tenant = await provisioner.CreateTenantAsync(name, $"g-{Guid.NewGuid():N}@example.com", People.Password, default);
        var token = await Host.LoginAsync(tenant.OwnerEmail, People.Password);
        var channels = new List<Guid>();
        foreach (var channel in new[] { "first", "second" })
            channels.Add((await provisioner.CreateWebhookChannelAsync(tenant.TenantId, channel, new Uri($"http://127.0.0.1:{TestEnvironment.FreePort()}/hook"), default)).ChannelId);
        var ruleId = Guid.CreateVersion7();
        await Host.ExecuteAsync("INSERT INTO alert_rules (tenant_id, id, name, enabled, severity, definition) VALUES ($1, $2, 'Checkout errors', false, 'critical', $3::jsonb)",
            tenant.TenantId, ruleId, JsonSerializer.Serialize(new { groupWait, groupInterval, repeatInterval, channelIds = channels }));
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow.AddDays(30));
        return new Scenario(Host, tenant.TenantId, token, [.. channels], ruleId, clock, InProcessAlerts(clock));
    }

    /// <summary>An Alerts instance's services in the test process, on the host's database, with <paramref name="time"/>.</summary>
    private ServiceProvider InProcessAlerts(TimeProvider time)
    {
        var values = new Dictionary<string, string?> { ["Secrets:ProtectionKey"] = Host.ProtectionKey };
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(values).Build());
        services.AddLogging();
        services.AddSingleton(time);
        services.AddSingleton(NpgsqlDataSource.Create(Host.AppConnectionString));
        services.AddSingleton<Database>();
        services.AddSingleton<PulseStream.Events.IEventStore>(sp => new PulseStream.Events.Segments.SegmentEventStore(sp.GetRequiredService<Database>()));
        services.AddSingleton<PulseStream.Realtime.IRealtimePublisher, NoLiveFeed>();
        services.AddAlerting();
        return services.BuildServiceProvider();
    }

    /// <summary>The in-process instances push nothing live (the host's own do).</summary>
    private sealed class NoLiveFeed : PulseStream.Realtime.IRealtimePublisher
    {
        public Task SendToTenantAsync(Guid tenantId, string target, object payload, CancellationToken ct) => Task.CompletedTask;
        public Task AddUserToTenantAsync(Guid tenantId, string userId, CancellationToken ct) => Task.CompletedTask;
        public Task RemoveUserFromAllGroupsAsync(string userId, CancellationToken ct) => Task.CompletedTask;
        public Task CloseUserConnectionsAsync(string userId, string reason, CancellationToken ct) => Task.CompletedTask;
        public Task CloseConnectionAsync(string connectionId, string reason, CancellationToken ct) => Task.CompletedTask;
    }

    private static int Count(JsonElement payload, string name) => payload.GetProperty("group").GetProperty(name).GetInt32();

    [Fact]
    public async Task A_rule_fanning_out_to_50_groups_sends_one_notification_per_channel_listing_all_50_after_groupWait()
    {
        await using var s = await CreateAsync("Fan-out Co");
        var ids = await s.FireAsync(50);

        // Within groupWait nothing goes out, however often the flusher runs.
        s.Clock.Advance(TimeSpan.FromSeconds(29));
        await s.Flusher.RunAsync(default);
        Assert.Empty(await s.DeliveriesAsync());

        s.Clock.Advance(TimeSpan.FromSeconds(1));
        await s.Flusher.RunAsync(default);
        await s.Flusher.RunAsync(default);
        var deliveries = await s.DeliveriesAsync();
        Assert.Equal(s.Channels.Order(), deliveries.Select(d => d.Channel).Order());
        Assert.All(deliveries, d =>
        {
            Assert.Equal("alert.firing", d.EventType);
            Assert.Equal(50, d.Payload.GetProperty("alerts").GetArrayLength());
            Assert.Equal(50, Count(d.Payload, "firing"));
            Assert.Equal(s.RuleId, d.Payload.GetProperty("group").GetProperty("ruleId").GetGuid());
            Assert.Equal(ids.Order(), d.AlertIds.Order());
            // The lead alert is the contract's single alert, as before grouping.
            Assert.Equal(ids[0], d.Payload.GetProperty("alert").GetProperty("id").GetGuid());
        });

        // The deliveries API finds the grouped delivery by any alert it lists, not only its lead.
        var (status, page) = await Host.SendJsonAsync(HttpMethod.Get, $"api/v1/deliveries?alertId={ids[37]}", s.Token);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(2, page.GetProperty("items").GetArrayLength());
    }

    [Fact]
    public async Task Later_changes_go_out_together_once_groupInterval_has_passed_since_the_last_notification()
    {
        await using var s = await CreateAsync("Interval Co");
        var first = await s.FireAsync(5);
        s.Clock.Advance(TimeSpan.FromSeconds(30));
        await s.Flusher.RunAsync(default);
        Assert.Equal(2, (await s.DeliveriesAsync()).Count);

        // A minute later: two resolve, three more fire, one is acknowledged; none of it goes out before groupInterval.
        s.Clock.Advance(TimeSpan.FromMinutes(1));
        await s.ChangeAsync(first[..2], "resolved");
        var more = await s.FireAsync(3, "/v1/more");
        await s.ChangeAsync([first[2]], "acknowledged");
        s.Clock.Advance(TimeSpan.FromMinutes(3));
        await s.Flusher.RunAsync(default);
        Assert.Equal(2, (await s.DeliveriesAsync()).Count);

        s.Clock.Advance(TimeSpan.FromMinutes(1)); // 5 minutes after the first notification
        await s.Flusher.RunAsync(default);
        var later = (await s.DeliveriesAsync()).Skip(2).ToList();
        Assert.Equal(2, later.Count);
        Assert.All(later, d =>
        {
            Assert.Equal("alert.firing", d.EventType);
            Assert.Equal(5, Count(d.Payload, "firing")); // first[3..] and the three new ones
            Assert.Equal(1, Count(d.Payload, "acknowledged"));
            Assert.Equal(2, Count(d.Payload, "resolved"));
            Assert.Equal(first[3..].Concat(more).Concat([first[2]]).Concat(first[..2]).Order(), d.AlertIds.Order());
        });
        // The resolved alerts left the group; the acknowledged one is not told again.
        Assert.Equal(6, await Host.ScalarAsync("SELECT count(*) FROM notification_group_members WHERE tenant_id = $1", s.TenantId));
    }

    [Fact]
    public async Task A_group_that_still_fires_is_sent_again_every_repeatInterval_and_closes_once_nothing_is_open()
    {
        await using var s = await CreateAsync("Repeat Co", repeatInterval: "1h");
        var ids = await s.FireAsync(3);
        s.Clock.Advance(TimeSpan.FromSeconds(30));
        await s.Flusher.RunAsync(default);
        Assert.Equal(2, (await s.DeliveriesAsync()).Count);

        s.Clock.Advance(TimeSpan.FromMinutes(59));
        await s.Flusher.RunAsync(default);
        Assert.Equal(2, (await s.DeliveriesAsync()).Count);
        s.Clock.Advance(TimeSpan.FromMinutes(1));
        await s.Flusher.RunAsync(default);
        var repeated = (await s.DeliveriesAsync()).Skip(2).ToList();
        Assert.Equal(2, repeated.Count);
        Assert.All(repeated, d => Assert.Equal(("alert.firing", 3), (d.EventType, d.Payload.GetProperty("alerts").GetArrayLength())));

        // All acknowledged: the change goes out after groupInterval, and an acknowledged group is not repeated.
        await s.ChangeAsync(ids, "acknowledged");
        s.Clock.Advance(TimeSpan.FromMinutes(5));
        await s.Flusher.RunAsync(default);
        var acknowledged = (await s.DeliveriesAsync()).Skip(4).ToList();
        Assert.Equal(["alert.acknowledged", "alert.acknowledged"], acknowledged.Select(d => d.EventType));
        s.Clock.Advance(TimeSpan.FromHours(2));
        await s.Flusher.RunAsync(default);
        Assert.Equal(6, (await s.DeliveriesAsync()).Count);

        // All resolved: told once, then the group is closed.
        await s.ChangeAsync(ids, "resolved");
        s.Clock.Advance(TimeSpan.FromMinutes(5));
        await s.Flusher.RunAsync(default);
        var resolved = (await s.DeliveriesAsync()).Skip(6).ToList();
        Assert.All(resolved, d => Assert.Equal(("alert.resolved", 0, 3), (d.EventType, Count(d.Payload, "open"), Count(d.Payload, "resolved"))));
        Assert.Equal(2, resolved.Count);
        Assert.Equal(0, await Host.ScalarAsync("SELECT count(*) FROM notification_groups WHERE tenant_id = $1", s.TenantId));
    }

    [Fact]
    public async Task With_groupWait_and_groupInterval_0s_each_change_goes_out_at_once_without_a_flusher()
    {
        await using var s = await CreateAsync("At Once Co", groupWait: "0s", groupInterval: "0s");
        var ids = await s.FireAsync(1);
        Assert.Equal(["alert.firing", "alert.firing"], (await s.DeliveriesAsync()).Select(d => d.EventType));

        s.Clock.Advance(TimeSpan.FromSeconds(5));
        await s.ChangeAsync(ids, "resolved");
        var deliveries = await s.DeliveriesAsync();
        Assert.Equal(["alert.firing", "alert.firing", "alert.resolved", "alert.resolved"], deliveries.Select(d => d.EventType));
        Assert.All(deliveries, d => Assert.Equal(ids[0], d.Payload.GetProperty("alert").GetProperty("id").GetGuid()));
    }

    [Fact]
    public async Task An_alert_that_fires_and_resolves_within_groupWait_notifies_nobody()
    {
        await using var s = await CreateAsync("Blip Co");
        var ids = await s.FireAsync(1);
        s.Clock.Advance(TimeSpan.FromSeconds(10));
        await s.ChangeAsync(ids, "resolved");
        s.Clock.Advance(TimeSpan.FromSeconds(30));
        await s.Flusher.RunAsync(default);
        Assert.Empty(await s.DeliveriesAsync());
        Assert.Equal(0, await Host.ScalarAsync("SELECT count(*) FROM notification_groups WHERE tenant_id = $1", s.TenantId));
    }

    [Fact]
    public async Task Flushers_racing_on_the_same_due_group_write_one_delivery_per_channel()
    {
        await using var s = await CreateAsync("Race Co");
        await s.FireAsync(10);
        s.Clock.Advance(TimeSpan.FromSeconds(30));
        var others = Enumerable.Range(0, 3).Select(_ => InProcessAlerts(s.Clock)).ToList();
        try
        {
            // Four flushers (the scenario's and three more instances), and direct flushes of the group as an evaluation makes them, all at once.
            var flushers = others.Select(o => o.GetRequiredService<NotificationGroupFlusher>()).Append(s.Flusher).ToList();
            var runs = flushers.Select(f => (Task)Task.Run(() => f.RunAsync(default)))
                .Concat(Enumerable.Range(0, 4).Select(_ => (Task)Task.Run(() => s.Database.ForTenantAsync(s.TenantId,
                    (c, t) => NotificationGroups.FlushAsync(c, t, s.TenantId, s.RuleId, s.Clock.GetUtcNow(), default), default))));
            await Task.WhenAll(runs);
        }
        finally
        {
            foreach (var other in others) await other.DisposeAsync();
        }
        var deliveries = await s.DeliveriesAsync();
        Assert.Equal(s.Channels.Order(), deliveries.Select(d => d.Channel).Order());
        Assert.All(deliveries, d => Assert.Equal(10, d.Payload.GetProperty("alerts").GetArrayLength()));
    }

    [Fact]
    public async Task Evaluators_racing_on_one_tenant_send_its_rule_group_once_per_channel()
    {
        // A real rule on the real clock: the host evaluates it (its consumer and its timer) and two more evaluators in
        // this process evaluate the same tenant at the same time; the host's flusher and ours race for the group.
        var provisioner = Provisioning.For(Host);
        var tenant = await provisioner.CreateTenantAsync("Racing Evaluators Co", $"g-{Guid.NewGuid():N}@example.com", People.Password, default);
        var token = await Host.LoginAsync(tenant.OwnerEmail, People.Password);
        var channels = new List<Guid>();
        foreach (var channel in new[] { "first", "second" })
            channels.Add((await provisioner.CreateWebhookChannelAsync(tenant.TenantId, channel, new Uri($"http://127.0.0.1:{TestEnvironment.FreePort()}/hook"), default)).ChannelId);
        var (status, rule) = await Host.SendJsonAsync(HttpMethod.Post, "api/v1/alert-rules", token, new
        {
            name = "Errors by route", enabled = true, severity = "critical",
            condition = new { type = "threshold", metric = "error_rate", @operator = ">", threshold = 0.2, window = "5m", groupBy = new[] { "route" }, minRequests = 5 },
            @for = "0s", channelIds = channels, groupWait = "3s", groupInterval = "1h",
        });
        Assert.True(status == HttpStatusCode.Created, rule.ToString());
        Assert.Equal(("3s", "1h", "4h"), (rule.GetProperty("groupWait").GetString(), rule.GetProperty("groupInterval").GetString(), rule.GetProperty("repeatInterval").GetString()));
        var ruleId = rule.GetProperty("id").GetGuid();

        await using var first = InProcessAlerts(TimeProvider.System);
        await using var second = InProcessAlerts(TimeProvider.System);
        var evaluators = new[] { first, second }.Select(p => p.GetRequiredService<ITenantRuleEvaluator>()).ToList();
        var flushers = new[] { first, second }.Select(p => p.GetRequiredService<NotificationGroupFlusher>()).ToList();
        var routes = Enumerable.Range(0, 6).Select(i => $"/v1/race/{i}").ToList();
        using (await Host.Http.SendAsync(Host.Ingest("api/v1/events/batch", Payloads.Batch(routes.SelectMany(r => Enumerable.Range(0, 10).Select(_ => Payloads.Event(r, 500, 10)))), tenant.ApiKey))) { }

        async Task<int> FiringAsync() =>
            (await Host.GetJsonAsync($"api/v1/alerts?ruleId={ruleId}&state=firing", token)).GetProperty("items").GetArrayLength();
        var deadline = DateTimeOffset.UtcNow.AddSeconds(60);
        while (DateTimeOffset.UtcNow < deadline && await Host.ScalarAsync("SELECT count(*) FROM notification_outbox WHERE tenant_id = $1", tenant.TenantId) == 0)
        {
            await Task.WhenAll(evaluators.Select(e => (Task)Task.Run(() => e.EvaluateTenantAsync(tenant.TenantId, DateTimeOffset.UtcNow.AddSeconds(5), default)))
                .Concat(flushers.Select(f => (Task)Task.Run(() => f.RunAsync(default)))));
        }
        Assert.Equal(6, await FiringAsync());
        // Past any flush still racing: exactly one delivery per channel, listing all six groups.
        for (var i = 0; i < 3; i++)
            await Task.WhenAll(evaluators.Select(e => (Task)Task.Run(() => e.EvaluateTenantAsync(tenant.TenantId, DateTimeOffset.UtcNow.AddSeconds(5), default)))
                .Concat(flushers.Select(f => (Task)Task.Run(() => f.RunAsync(default)))));
        await Task.Delay(2000);
        Assert.Equal(2, await Host.ScalarAsync("SELECT count(*) FROM notification_outbox WHERE tenant_id = $1", tenant.TenantId));
        foreach (var channel in channels)
            Assert.Equal(6, await Host.ScalarAsync(
                "SELECT coalesce(max(cardinality(alert_ids)), 0) FROM notification_outbox WHERE tenant_id = $1 AND channel_id = $2 AND event_type = 'alert.firing'", tenant.TenantId, channel));
    }
}
