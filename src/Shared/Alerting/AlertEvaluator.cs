using System.Text.Json;
using Microsoft.Extensions.Logging;
using Npgsql;
using PulseStream.Http;
using PulseStream.Notifications;
using PulseStream.Realtime;
using PulseStream.Storage;

namespace PulseStream.Alerting;

/// <summary>An alert as the API, the live feed and notifications show it.</summary>
public sealed record AlertView(Guid Id, Guid RuleId, string RuleName, string State, string Severity, DateTimeOffset StartedAt, double? Value, string Group);

/// <summary>
/// Evaluates a tenant's enabled rules against the rollups and applies the state machine. Each tenant is evaluated in
/// one transaction under a per-tenant advisory lock (the consumer and the timer may both evaluate it); transitions to
/// firing and resolved enqueue notification deliveries in that same transaction (the outbox), and are pushed to
/// the tenant's live dashboards after commit.
/// </summary>
public sealed class AlertEvaluator(Database database, TimeProvider time, IRealtimePublisher realtime, ILogger<AlertEvaluator> logger)
{
    public async Task EvaluateTenantsAsync(IEnumerable<Guid> tenantIds, CancellationToken ct)
    {
        foreach (var tenantId in tenantIds)
        {
            try
            {
                await EvaluateTenantAsync(tenantId, ct);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogError(e, "Evaluating the rules of tenant {TenantId} failed", tenantId);
            }
        }
    }

    /// <summary>Evaluates every tenant that has an enabled rule (the timer's sweep).</summary>
    public async Task EvaluateAllTenantsAsync(CancellationToken ct)
    {
        var tenants = new List<Guid>();
        await using (var command = database.DataSource.CreateCommand("SELECT tenants_with_enabled_rules()"))
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct)) tenants.Add(reader.GetGuid(0));
        }
        await EvaluateTenantsAsync(tenants, ct);
    }

    public async Task<IReadOnlyList<AlertView>> EvaluateTenantAsync(Guid tenantId, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var changes = await database.ForTenantAsync(tenantId, async (connection, transaction) =>
        {
            await using (var lockTenant = new NpgsqlCommand("SELECT pg_advisory_xact_lock(hashtextextended('alerts:' || $1::text, 0))", connection, transaction))
            {
                lockTenant.Parameters.AddWithValue(tenantId.ToString());
                await lockTenant.ExecuteNonQueryAsync(ct);
            }
            var changed = new List<AlertView>();
            foreach (var rule in await AlertRuleStore.ListAsync(connection, transaction, tenantId, enabledOnly: true, ct))
                changed.AddRange(await EvaluateRuleAsync(connection, transaction, tenantId, rule, now, ct));
            return changed;
        }, ct);

        foreach (var alert in changes)
            await realtime.SendToTenantAsync(tenantId, RealtimeTargets.Alert, alert, ct);
        return changes;
    }

    private static async Task<List<AlertView>> EvaluateRuleAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, AlertRule rule, DateTimeOffset now, CancellationToken ct)
    {
        var condition = rule.Body.Condition;
        var values = (await RuleMetricQuery.ComputeAsync(connection, transaction, tenantId, rule, now, ct)).ToDictionary(v => v.GroupKey);
        var open = await OpenAlertsAsync(connection, transaction, tenantId, rule.Id, ct);
        var changed = new List<AlertView>();
        foreach (var group in values.Keys.Union(open.Keys))
        {
            values.TryGetValue(group, out var measured);
            var met = measured is { Value: { } value } && measured.Requests >= (condition.MinRequests ?? 0)
                && AlertStateMachine.Compare(value, condition.Operator, condition.Threshold);
            open.TryGetValue(group, out var current);
            var transition = AlertStateMachine.Next(current, met, now, rule.For);
            if (transition == AlertTransition.None) continue;

            var view = await ApplyAsync(connection, transaction, tenantId, rule, group, current, transition, measured?.Value, now, ct);
            changed.Add(view);
        }
        return changed;
    }

    private static async Task<Dictionary<string, OpenAlert>> OpenAlertsAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, Guid ruleId, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(
            "SELECT group_key, id, state, started_at FROM alerts WHERE tenant_id = $1 AND rule_id = $2 AND state <> 'resolved'",
            connection, transaction);
        command.Parameters.AddWithValue(tenantId);
        command.Parameters.AddWithValue(ruleId);
        var open = new Dictionary<string, OpenAlert>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            open[reader.GetString(0)] = new OpenAlert(reader.GetGuid(1), AlertStateMachine.Parse(reader.GetString(2)), reader.GetFieldValue<DateTimeOffset>(3));
        return open;
    }

    private static async Task<AlertView> ApplyAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, AlertRule rule, string group,
        OpenAlert? current, AlertTransition transition, double? value, DateTimeOffset now, CancellationToken ct)
    {
        var id = current?.Id ?? Guid.CreateVersion7();
        var startedAt = current?.StartedAt ?? now;
        var state = transition switch
        {
            AlertTransition.StartPending => AlertState.Pending,
            AlertTransition.StartFiring or AlertTransition.Fire => AlertState.Firing,
            _ => AlertState.Resolved,
        };
        var stateText = AlertStateMachine.ToText(state);

        var sql = current is null
            ? """
              INSERT INTO alerts (tenant_id, id, rule_id, group_key, state, severity, value, started_at, firing_at, updated_at)
              VALUES ($1, $2, $3, $4, $5, $6, $7, $8, CASE WHEN $5 = 'firing' THEN $9 END, $9)
              """
            : """
              UPDATE alerts SET state = $5, value = coalesce($7, value), updated_at = $9,
                  firing_at = CASE WHEN $5 = 'firing' THEN $9 ELSE firing_at END,
                  resolved_at = CASE WHEN $5 = 'resolved' THEN $9 ELSE resolved_at END
              WHERE tenant_id = $1 AND id = $2
              """;
        await using (var command = new NpgsqlCommand(sql, connection, transaction))
        {
            command.Parameters.AddWithValue(tenantId);
            command.Parameters.AddWithValue(id);
            command.Parameters.AddWithValue(rule.Id);
            command.Parameters.AddWithValue(group);
            command.Parameters.AddWithValue(stateText);
            command.Parameters.AddWithValue(rule.Body.Severity);
            command.Parameters.Add(new NpgsqlParameter { Value = (object?)value ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Double });
            command.Parameters.AddWithValue(startedAt);
            command.Parameters.AddWithValue(now);
            await command.ExecuteNonQueryAsync(ct);
        }
        await using (var timeline = new NpgsqlCommand(
            "INSERT INTO alert_timeline (tenant_id, alert_id, at, state, value) VALUES ($1, $2, $3, $4, $5)", connection, transaction))
        {
            timeline.Parameters.AddWithValue(tenantId);
            timeline.Parameters.AddWithValue(id);
            timeline.Parameters.AddWithValue(now);
            timeline.Parameters.AddWithValue(transition == AlertTransition.DropPending ? "dropped" : stateText);
            timeline.Parameters.Add(new NpgsqlParameter { Value = (object?)value ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Double });
            await timeline.ExecuteNonQueryAsync(ct);
        }

        var view = new AlertView(id, rule.Id, rule.Body.Name, stateText, rule.Body.Severity, startedAt, value, group);
        // Pending alerts that never fired notify nobody; firing and its resolution do.
        var notify = transition is AlertTransition.StartFiring or AlertTransition.Fire or AlertTransition.Resolve;
        if (notify && rule.Body.ChannelIds is { Count: > 0 } channels)
            await NotificationOutbox.EnqueueAsync(connection, transaction, tenantId, channels, id, $"alert.{stateText}", JsonSerializer.SerializeToElement(view, Json.Options), now, ct);
        return view;
    }
}
