using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using PulseStream.Identity;
using PulseStream.Retention;
using PulseStream.Storage;
using PulseStream.Testing;

namespace PulseStream.IntegrationTests;

/// <summary>
/// A local host whose own retention timer is off (<c>Retention__Enabled=false</c>), so the tests run the enforcer
/// themselves, as the app role, against the host's database: rows with old timestamps are written as the owner, as
/// time would have left them, and each test counts what one run removed.
/// </summary>
public sealed class RetentionFixture : IAsyncLifetime
{
    public LocalHostProcess Host { get; private set; } = null!;
    public NpgsqlDataSource AppDataSource { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Host = await LocalHostProcess.StartAsync("pulse_retention", settings => settings["Retention__Enabled"] = "false");
        AppDataSource = NpgsqlDataSource.Create(Host.AppConnectionString);
    }

    public async Task DisposeAsync()
    {
        await AppDataSource.DisposeAsync();
        await Host.DisposeAsync();
    }

    /// <summary>An enforcer as the Alerts app builds it, on the app role's connection.</summary>
    public RetentionEnforcer Enforcer(Action<RetentionOptions>? configure = null)
    {
        var options = new RetentionOptions();
        configure?.Invoke(options);
        return new RetentionEnforcer(new Database(AppDataSource), Options.Create(options), Options.Create(new SignupThrottleOptions()),
            TimeProvider.System, NullLogger<RetentionEnforcer>.Instance);
    }
}

public class RetentionTests(RetentionFixture fixture) : IClassFixture<RetentionFixture>
{
    private LocalHostProcess Host => fixture.Host;
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;

    /// <summary>Runs one or more statements (each ended by ';' at a line's end) as the owner, each given every argument.</summary>
    private async Task ExecuteAsync(string sql, params object?[] args)
    {
        await using var connection = new NpgsqlConnection(Host.ConnectionString);
        await connection.OpenAsync();
        foreach (var statement in sql.Split(";\n", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            await using var command = new NpgsqlCommand(statement.TrimEnd(';'), connection);
            foreach (var arg in args) command.Parameters.AddWithValue(arg ?? DBNull.Value);
            await command.ExecuteNonQueryAsync();
        }
    }

    private async Task<Guid> TenantAsync(string name) =>
        (await Provisioning.For(Host).CreateTenantAsync(name, $"r-{Guid.NewGuid():N}@example.com", "a long password 123", default)).TenantId;

    private async Task InsertEventAsync(Guid tenant, DateTimeOffset ts, string route)
    {
        await ExecuteAsync("SELECT ensure_event_partition(($1 AT TIME ZONE 'UTC')::date)", ts);
        await ExecuteAsync("""
            INSERT INTO events (tenant_id, ts, received_at, method, path, route, status_code, latency_ms, environment)
            VALUES ($1, $2, $2, 'GET', $3, $3, 200, 12.5, 'production')
            """, tenant, ts, route);
    }

    private async Task InsertMinuteRollupsAsync(Guid tenant, DateTimeOffset bucket, int count)
    {
        await ExecuteAsync("""
            INSERT INTO rollup_routes_minute (tenant_id, bucket, environment, route, method, requests, status_1xx, status_2xx, status_3xx,
                                              status_4xx, status_5xx, latency_sum, latency_max, request_bytes, response_bytes, last_seen, sketch)
            SELECT $1, $2, 'production', '/r/' || n, 'GET', 1, 0, 1, 0, 0, 0, 1, 1, 0, 0, $2, '\x010000' FROM generate_series(1, $3) AS n
            """, tenant, bucket, count);
    }

    private Task<long> EventsAsync(Guid tenant, string route) =>
        Host.ScalarAsync("SELECT count(*) FROM events WHERE tenant_id = $1 AND route = $2", tenant, route);

    private Task<long> PartitionExistsAsync(DateTimeOffset ts) =>
        Host.ScalarAsync("SELECT count(*) FROM pg_class WHERE relname = $1", $"events_{ts.UtcDateTime:yyyyMMdd}");

    private async Task<string> OwnerTokenAsync(Guid tenant)
    {
        var ownerId = (Guid)(await ScalarObjectAsync("SELECT id FROM users WHERE tenant_id = $1 AND role = 'owner' LIMIT 1", tenant))!;
        return Host.MintToken("owner", tenant, userId: ownerId);
    }

    private async Task<object?> ScalarObjectAsync(string sql, params object[] args)
    {
        await using var connection = new NpgsqlConnection(Host.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var arg in args) command.Parameters.AddWithValue(arg);
        return await command.ExecuteScalarAsync();
    }

    private async Task PutRetentionAsync(string token, object body)
    {
        using var response = await Host.Http.SendAsync(Host.Authorized(HttpMethod.Put, "api/v1/settings/retention", token, body));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task A_day_partition_past_every_tenants_raw_retention_is_dropped_and_one_a_tenant_still_keeps_is_not()
    {
        var plain = await TenantAsync("Plain raw");
        var keeper = await TenantAsync("Keeps raw longer");
        var old = Now.AddDays(-20);
        await InsertEventAsync(plain, old, "/old");
        await InsertEventAsync(keeper, old, "/old");
        await InsertEventAsync(plain, Now.AddDays(-13), "/inside");
        await InsertEventAsync(plain, Now.AddHours(-1), "/recent");

        // One tenant keeps raw events 30 days: the 20-day-old partition stays, and only the other tenant's row goes.
        var keeperToken = await OwnerTokenAsync(keeper);
        await PutRetentionAsync(keeperToken, new { rawDays = 30 });
        var first = await fixture.Enforcer().RunAsync(default);
        Assert.DoesNotContain($"events_{old.UtcDateTime:yyyyMMdd}", first.DroppedPartitions);
        Assert.Equal(1, await PartitionExistsAsync(old));
        Assert.Equal(0, await EventsAsync(plain, "/old"));
        Assert.Equal(1, await EventsAsync(keeper, "/old"));

        // Back to the default (14 days): the partition is wholly past every tenant's retention and is dropped.
        await PutRetentionAsync(keeperToken, new { rawDays = (int?)null });
        var second = await fixture.Enforcer().RunAsync(default);
        Assert.Contains($"events_{old.UtcDateTime:yyyyMMdd}", second.DroppedPartitions);
        Assert.Equal(0, await PartitionExistsAsync(old));
        Assert.Equal(0, await EventsAsync(keeper, "/old"));
        // Inside retention: intact.
        Assert.Equal(1, await EventsAsync(plain, "/inside"));
        Assert.Equal(1, await EventsAsync(plain, "/recent"));
    }

    [Fact]
    public async Task A_tenants_shorter_retention_removes_only_its_own_older_events_and_rollups()
    {
        var brief = await TenantAsync("Short memory");
        var other = await TenantAsync("Default memory");
        await PutRetentionAsync(await OwnerTokenAsync(brief), new { rawDays = 3, minuteDays = 2 });
        foreach (var tenant in new[] { brief, other })
        {
            await InsertEventAsync(tenant, Now.AddDays(-5), "/five-days");
            await InsertEventAsync(tenant, Now.AddDays(-1), "/one-day");
            await InsertMinuteRollupsAsync(tenant, Now.AddDays(-4), 3);
            await InsertMinuteRollupsAsync(tenant, Now.AddHours(-2), 2);
        }

        var report = await fixture.Enforcer().RunAsync(default);

        Assert.True(report.RowsOf("events") >= 1 && report.RowsOf("rollup_routes_minute") >= 3);
        Assert.Equal(0, await EventsAsync(brief, "/five-days"));
        Assert.Equal(1, await EventsAsync(brief, "/one-day"));
        Assert.Equal(2, await Host.ScalarAsync("SELECT count(*) FROM rollup_routes_minute WHERE tenant_id = $1", brief));
        // The other tenant (default 14 and 30 days) keeps everything.
        Assert.Equal(1, await EventsAsync(other, "/five-days"));
        Assert.Equal(1, await EventsAsync(other, "/one-day"));
        Assert.Equal(5, await Host.ScalarAsync("SELECT count(*) FROM rollup_routes_minute WHERE tenant_id = $1", other));
    }

    [Fact]
    public async Task Minute_rollups_past_30_days_are_gone_and_younger_ones_stay()
    {
        var tenant = await TenantAsync("Rollups");
        await InsertMinuteRollupsAsync(tenant, Now.AddDays(-31), 4);
        await InsertMinuteRollupsAsync(tenant, Now.AddDays(-29), 3);
        await fixture.Enforcer().RunAsync(default);
        Assert.Equal(0, await Host.ScalarAsync("SELECT count(*) FROM rollup_routes_minute WHERE tenant_id = $1 AND bucket < $2", tenant, Now.AddDays(-30)));
        Assert.Equal(3, await Host.ScalarAsync("SELECT count(*) FROM rollup_routes_minute WHERE tenant_id = $1", tenant));
    }

    [Fact]
    public async Task Audit_entries_are_kept_for_a_year_or_the_tenants_own_audit_retention()
    {
        var plain = await TenantAsync("Audit default");
        var brief = await TenantAsync("Audit short");
        await PutRetentionAsync(await OwnerTokenAsync(brief), new { auditDays = 60 });
        foreach (var (tenant, daysAgo) in new[] { (plain, 400), (plain, 100), (brief, 400), (brief, 100), (brief, 10) })
            await ExecuteAsync("INSERT INTO audit_log (tenant_id, at, actor_type, action) VALUES ($1, $2, 'system', 'test.old')", tenant, Now.AddDays(-daysAgo));
        await ExecuteAsync("INSERT INTO audit_log_anonymous (at, action) VALUES ($1, 'test.old'), ($2, 'test.young')", Now.AddDays(-400), Now.AddDays(-100));

        await fixture.Enforcer().RunAsync(default);

        Task<long> Ages(Guid tenant) => Host.ScalarAsync(
            "SELECT coalesce(sum(round(extract(epoch FROM $2 - at) / 86400)), 0)::bigint FROM audit_log WHERE tenant_id = $1 AND action = 'test.old'", tenant, Now);
        Assert.Equal(100, await Ages(plain));
        Assert.Equal(10, await Ages(brief));
        Assert.Equal(0, await Host.ScalarAsync("SELECT count(*) FROM audit_log_anonymous WHERE at < $1", Now.AddDays(-366)));
        Assert.Equal(1, await Host.ScalarAsync("SELECT count(*) FROM audit_log_anonymous WHERE action = 'test.young'"));
        // The change of settings itself is audited, and young enough to stay.
        Assert.Equal(1, await Host.ScalarAsync("SELECT count(*) FROM audit_log WHERE tenant_id = $1 AND action = 'retention.update'", brief));

        // The app role still cannot delete from the audit log, nor make the function remove what retention keeps.
        await using var app = await fixture.AppDataSource.OpenConnectionAsync();
        await using (var delete = new NpgsqlCommand("DELETE FROM audit_log", app))
            Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, (await Assert.ThrowsAsync<PostgresException>(() => delete.ExecuteNonQueryAsync())).SqlState);
        await using (var clamp = new NpgsqlCommand("SELECT retention_delete_audit($1, 0, 10000)", app))
        {
            clamp.Parameters.AddWithValue(brief);
            Assert.Equal(0L, await clamp.ExecuteScalarAsync()); // 0 days asked, 30 days applied: the 10-day-old entry stays
        }
        await using (var drop = new NpgsqlCommand("SELECT retention_drop_partition('users', 'users_20200101', now() - interval '30 days')", app))
            await Assert.ThrowsAsync<PostgresException>(() => drop.ExecuteScalarAsync());
    }

    [Fact]
    public async Task Housekeeping_tables_lose_what_is_past_its_age_and_keep_the_rest()
    {
        var tenant = await TenantAsync("Housekeeping");
        var userId = (Guid)(await ScalarObjectAsync("SELECT id FROM users WHERE tenant_id = $1 LIMIT 1", tenant))!;
        var rule = Guid.NewGuid();
        var (resolvedOld, resolvedNew, firingOld) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        var key = Guid.NewGuid().ToString("N");
        await ExecuteAsync("""
            INSERT INTO event_ids (tenant_id, event_id, seen_at) VALUES ($1, 'old-' || $2, now() - interval '2 days'), ($1, 'new-' || $2, now() - interval '1 hour');
            INSERT INTO notification_outbox (tenant_id, id, channel_id, alert_id, event_type, payload, status, next_attempt_at, created_at, delivered_at) VALUES
                ($1, gen_random_uuid(), gen_random_uuid(), gen_random_uuid(), 'alert.firing', '{}', 'delivered', now(), now() - interval '9 days', now() - interval '8 days'),
                ($1, gen_random_uuid(), gen_random_uuid(), gen_random_uuid(), 'alert.firing', '{}', 'delivered', now(), now() - interval '2 days', now() - interval '1 day'),
                ($1, gen_random_uuid(), gen_random_uuid(), gen_random_uuid(), 'alert.firing', '{}', 'dead', now(), now() - interval '31 days', NULL),
                ($1, gen_random_uuid(), gen_random_uuid(), gen_random_uuid(), 'alert.firing', '{}', 'pending', now() + interval '1 day', now() - interval '100 days', NULL);
            INSERT INTO dead_letters (consumer_group, partition_id, sequence_number, body, last_error, state, replayed_at, created_at, first_route) VALUES
                ('alerts', '0', 1, '\x00', 'e', 'replayed', now() - interval '31 days', now() - interval '40 days', $2),
                ('alerts', '0', 2, '\x00', 'e', 'replayed', now() - interval '1 day', now() - interval '40 days', $2),
                ('alerts', '0', 3, '\x00', 'e', 'dead', NULL, now() - interval '400 days', $2);
            INSERT INTO refresh_tokens (tenant_id, token_hash, family_id, user_id, expires_at) VALUES
                ($1, 'expired-' || $2, gen_random_uuid(), $3, now() - interval '8 days'),
                ($1, 'recently-expired-' || $2, gen_random_uuid(), $3, now() - interval '1 day'),
                ($1, 'valid-' || $2, gen_random_uuid(), $3, now() + interval '1 day');
            INSERT INTO login_throttle (key, failures, window_start, locked_until) VALUES
                ('email:old-' || $2, 3, now() - interval '2 days', NULL),
                ('email:new-' || $2, 3, now() - interval '5 minutes', NULL);
            INSERT INTO signup_throttle (key, tokens, updated_at) VALUES ('ip:old-' || $2, 1, now() - interval '2 days'), ('ip:new-' || $2, 1, now());
            """, tenant, key, userId);
        await ExecuteAsync("""
            INSERT INTO alert_rules (tenant_id, id, name, enabled, severity, definition) VALUES ($1, $2, 'retention', false, 'warning', '{}');
            INSERT INTO alerts (tenant_id, id, rule_id, group_key, state, severity, started_at, resolved_at, updated_at) VALUES
                ($1, $3, $2, 'a', 'resolved', 'warning', now() - interval '100 days', now() - interval '91 days', now() - interval '91 days'),
                ($1, $4, $2, 'b', 'resolved', 'warning', now() - interval '10 days', now() - interval '5 days', now() - interval '5 days'),
                ($1, $5, $2, 'c', 'firing', 'warning', now() - interval '200 days', NULL, now() - interval '200 days');
            INSERT INTO alert_timeline (tenant_id, alert_id, at, state)
            SELECT $1, a, now() - interval '100 days', s FROM unnest(ARRAY[$3, $3, $4, $5]::uuid[]) AS a, unnest(ARRAY['firing']) AS s;
            """, tenant, rule, resolvedOld, resolvedNew, firingOld);

        var report = await fixture.Enforcer().RunAsync(default);

        Assert.Equal(["new-" + key], await StringsAsync("SELECT event_id FROM event_ids WHERE tenant_id = $1", tenant));
        Assert.Equal(["delivered 1 days", "pending"], await StringsAsync("""
            SELECT status || coalesce(' ' || extract(day FROM now() - delivered_at)::int || ' days', '') FROM notification_outbox WHERE tenant_id = $1 ORDER BY 1
            """, tenant));
        Assert.Equal(["2", "3"], await StringsAsync("SELECT sequence_number::text FROM dead_letters WHERE first_route = $1 ORDER BY 1", key));
        Assert.Equal(["recently-expired-" + key, "valid-" + key], await StringsAsync("SELECT token_hash FROM refresh_tokens WHERE tenant_id = $1 AND token_hash LIKE '%' || $2 ORDER BY 1", tenant, key));
        Assert.Equal(["email:new-" + key], await StringsAsync("SELECT key FROM login_throttle WHERE key LIKE '%' || $1", key));
        Assert.Equal(["ip:new-" + key], await StringsAsync("SELECT key FROM signup_throttle WHERE key LIKE '%' || $1", key));
        Assert.Equal(["b", "c"], await StringsAsync("SELECT group_key FROM alerts WHERE tenant_id = $1 ORDER BY 1", tenant));
        Assert.Equal(2, await Host.ScalarAsync("SELECT count(*) FROM alert_timeline WHERE tenant_id = $1", tenant));
        Assert.True(report.RowsOf("alert_timeline") >= 2 && report.RowsOf("alerts") >= 1 && report.RowsOf("event_ids") >= 1);
    }

    [Fact]
    public async Task The_event_log_keeps_every_message_a_consumer_group_has_not_passed()
    {
        var hub = $"retention-{Guid.NewGuid():N}";
        await ExecuteAsync("""
            INSERT INTO event_log_partitions (hub, partition_id, next_sequence) VALUES ($1, 0, 8), ($1, 1, 3);
            INSERT INTO event_log_messages (hub, partition_id, sequence_number, enqueued_at, body)
            SELECT $1, 0, n, now() - interval '2 days' + n * interval '1 minute', '\x00' FROM generate_series(1, 6) AS n;
            INSERT INTO event_log_messages (hub, partition_id, sequence_number, enqueued_at, body) VALUES ($1, 0, 7, now(), '\x00');
            INSERT INTO event_log_messages (hub, partition_id, sequence_number, enqueued_at, body)
            SELECT $1, 1, n, now() - interval '2 days', '\x00' FROM generate_series(1, 2) AS n;
            -- Partition 0: alerts passed 3, realtime 7, a third group 5: 1-3 may go. Partition 1: only alerts checkpointed.
            INSERT INTO event_log_checkpoints (hub, consumer_group, partition_id, sequence_number) VALUES
                ($1, 'alerts', 0, 3), ($1, 'realtime', 0, 7), ($1, 'archive', 0, 5), ($1, 'alerts', 1, 2);
            """, hub);

        await fixture.Enforcer().RunAsync(default);

        Assert.Equal(["0:4", "0:5", "0:6", "0:7", "1:1", "1:2"], await StringsAsync(
            "SELECT partition_id || ':' || sequence_number FROM event_log_messages WHERE hub = $1 ORDER BY partition_id, sequence_number", hub));

        // Once every group is past them, the old ones go; the message of a minute ago stays for the log's retention.
        await ExecuteAsync("UPDATE event_log_checkpoints SET sequence_number = 7 WHERE hub = $1 AND partition_id = 0", hub);
        await fixture.Enforcer().RunAsync(default);
        Assert.Equal(["0:7", "1:1", "1:2"], await StringsAsync(
            "SELECT partition_id || ':' || sequence_number FROM event_log_messages WHERE hub = $1 ORDER BY partition_id, sequence_number", hub));
    }

    [Fact]
    public async Task A_backlog_bigger_than_a_run_is_removed_over_several_runs_each_within_its_batch_limits()
    {
        var tenant = await TenantAsync("Backlog");
        await InsertMinuteRollupsAsync(tenant, Now.AddDays(-40), 450);
        var enforcer = fixture.Enforcer(o => { o.BatchSize = 100; o.MaxBatchesPerRun = 2; });
        var remaining = new List<long>();
        for (var run = 0; run < 6; run++)
        {
            var report = await enforcer.RunAsync(default);
            Assert.InRange(report.LargestBatch, 0, 100);
            Assert.InRange(report.Batches, 0, 2);
            Assert.InRange(report.TotalRows, 0, 200);
            remaining.Add(await Host.ScalarAsync("SELECT count(*) FROM rollup_routes_minute WHERE tenant_id = $1", tenant));
        }
        Assert.True(remaining[0] >= 250, $"one run removed more than its limit: {string.Join(", ", remaining)}");
        Assert.Equal(0, remaining[^1]);
    }

    [Fact]
    public async Task Retention_settings_show_the_effective_days_and_only_an_owner_changes_them_within_bounds()
    {
        var owner = await People.SignupAsync(Host, "Retention settings");
        var viewer = await People.InviteAndAcceptAsync(Host, owner.AccessToken, "viewer");

        using (var get = await Host.Http.SendAsync(Host.Authorized(HttpMethod.Get, "api/v1/settings/retention", viewer.AccessToken)))
        {
            Assert.Equal(HttpStatusCode.OK, get.StatusCode);
            var body = await get.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal(14, body.GetProperty("raw").GetProperty("days").GetInt32());
            Assert.False(body.GetProperty("raw").GetProperty("overridden").GetBoolean());
            Assert.Equal(30, body.GetProperty("minute").GetProperty("days").GetInt32());
            Assert.Equal(395, body.GetProperty("hour").GetProperty("days").GetInt32());
            Assert.Equal(1827, body.GetProperty("day").GetProperty("days").GetInt32());
            Assert.Equal(365, body.GetProperty("audit").GetProperty("days").GetInt32());
            Assert.Equal(90, body.GetProperty("raw").GetProperty("maxDays").GetInt32());
            Assert.Equal(30, body.GetProperty("audit").GetProperty("minDays").GetInt32());
        }

        using (var refused = await Host.Http.SendAsync(Host.Authorized(HttpMethod.Put, "api/v1/settings/retention", viewer.AccessToken, new { rawDays = 7 })))
            await IngestPipelineTests.AssertProblem(refused, HttpStatusCode.Forbidden, "forbidden");
        using (var anonymous = await Host.Http.GetAsync("api/v1/settings/retention"))
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);

        foreach (var (body, field) in new (object Body, string Field)[] { (new { rawDays = 0 }, "rawDays"), (new { hourDays = 801 }, "hourDays"), (new { auditDays = 10 }, "auditDays"), (new { weeks = 2 }, "weeks") })
        {
            using var invalid = await Host.Http.SendAsync(Host.Authorized(HttpMethod.Put, "api/v1/settings/retention", owner.AccessToken, body));
            await IngestPipelineTests.AssertProblem(invalid, HttpStatusCode.BadRequest, "invalid-retention");
            var problem = await invalid.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal(field, problem.GetProperty("errors")[0].GetProperty("field").GetString());
            Assert.Contains(field, problem.GetProperty("detail").GetString());
        }
        Assert.Equal(0, await Host.ScalarAsync("SELECT count(*) FROM tenant_retention WHERE tenant_id = $1", owner.TenantId));

        using (var put = await Host.Http.SendAsync(Host.Authorized(HttpMethod.Put, "api/v1/settings/retention", owner.AccessToken, new { rawDays = 7, dayDays = 3650 })))
        {
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
            var body = await put.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal(7, body.GetProperty("raw").GetProperty("days").GetInt32());
            Assert.True(body.GetProperty("raw").GetProperty("overridden").GetBoolean());
            Assert.Equal(14, body.GetProperty("raw").GetProperty("defaultDays").GetInt32());
            Assert.Equal(3650, body.GetProperty("day").GetProperty("days").GetInt32());
            Assert.False(body.GetProperty("minute").GetProperty("overridden").GetBoolean());
        }
        // The viewer sees the change; the lead's queries read the same values through TenantRetention.
        using (var get = await Host.Http.SendAsync(Host.Authorized(HttpMethod.Get, "api/v1/settings/retention", viewer.AccessToken)))
            Assert.Equal(7, (await get.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("raw").GetProperty("days").GetInt32());
        var retention = new TenantRetention(Options.Create(new RetentionOptions()));
        var effective = await new Database(fixture.AppDataSource).ForTenantAsync(owner.TenantId,
            (c, t) => retention.GetAsync(c, t, owner.TenantId, default), default);
        Assert.Equal(new RetentionDays(7, 30, 395, 3650, 365), effective);

        using (var reset = await Host.Http.SendAsync(Host.Authorized(HttpMethod.Put, "api/v1/settings/retention", owner.AccessToken, new { rawDays = (int?)null })))
            Assert.Equal(14, (await reset.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("raw").GetProperty("days").GetInt32());

        var summaries = await StringsAsync("SELECT summary::text FROM audit_log WHERE tenant_id = $1 AND action = 'retention.update' ORDER BY id", owner.TenantId);
        Assert.Equal(2, summaries.Count);
        using var first = JsonDocument.Parse(summaries[0]);
        Assert.Equal(JsonValueKind.Null, first.RootElement.GetProperty("before").GetProperty("rawDays").ValueKind);
        Assert.Equal(7, first.RootElement.GetProperty("after").GetProperty("rawDays").GetInt32());
        using var second = JsonDocument.Parse(summaries[1]);
        Assert.Equal(7, second.RootElement.GetProperty("before").GetProperty("rawDays").GetInt32());
        Assert.Equal(JsonValueKind.Null, second.RootElement.GetProperty("after").GetProperty("rawDays").ValueKind);
        Assert.Equal(3650, second.RootElement.GetProperty("after").GetProperty("dayDays").GetInt32());
    }

    private async Task<List<string>> StringsAsync(string sql, params object[] args)
    {
        await using var connection = new NpgsqlConnection(Host.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var arg in args) command.Parameters.AddWithValue(arg);
        await using var reader = await command.ExecuteReaderAsync();
        var values = new List<string>();
        while (await reader.ReadAsync()) values.Add(reader.GetString(0));
        return values;
    }
}
