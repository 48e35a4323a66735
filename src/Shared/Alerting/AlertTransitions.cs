using System.Text.Json;
using Npgsql;
using PulseStream.Http;
using PulseStream.Notifications;

namespace PulseStream.Alerting;

/// <summary>What evaluation decided for one group of a rule: its open alert, if any, the transition and the value.</summary>
public sealed record AlertDecision(string Group, OpenAlert? Current, AlertTransition Transition, double? Value);

/// <summary>Writes alert transitions, their timeline and their notifications, in the evaluation's transaction.</summary>
public static class AlertTransitions
{
    /// <summary>
    /// Writes a rule's transitions with one statement each for new alerts, changed alerts and their timeline (a rule
    /// may change up to its group bound at once), then enqueues the notifications of those that fired or resolved.
    /// </summary>
    public static async Task<List<AlertView>> ApplyAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, AlertRule rule,
        List<AlertDecision> decisions, DateTimeOffset now, CancellationToken ct)
    {
        if (decisions.Count == 0) return [];
        var rows = decisions.Select(d => (Decision: d, Id: d.Current?.Id ?? Guid.CreateVersion7(), StartedAt: d.Current?.StartedAt ?? now,
            State: AlertStateMachine.ToText(d.Transition switch
            {
                AlertTransition.StartPending => AlertState.Pending,
                AlertTransition.StartFiring or AlertTransition.Fire => AlertState.Firing,
                _ => AlertState.Resolved,
            }))).ToList();

        var created = rows.Where(r => r.Decision.Current is null).ToList();
        if (created.Count > 0)
        {
            await using var insert = new NpgsqlCommand("""
                INSERT INTO alerts (tenant_id, id, rule_id, group_key, state, severity, value, started_at, firing_at, updated_at)
                SELECT $1, u.id, $2, u.group_key, u.state, $3, u.value, $4, CASE WHEN u.state = 'firing' THEN $4 END, $4
                FROM unnest($5::uuid[], $6::text[], $7::text[], $8::float8[]) AS u(id, group_key, state, value)
                """, connection, transaction);
            insert.Parameters.AddWithValue(tenantId);
            insert.Parameters.AddWithValue(rule.Id);
            insert.Parameters.AddWithValue(rule.Body.Severity);
            insert.Parameters.AddWithValue(now);
            insert.Parameters.AddWithValue(created.Select(r => r.Id).ToArray());
            insert.Parameters.AddWithValue(created.Select(r => r.Decision.Group).ToArray());
            insert.Parameters.AddWithValue(created.Select(r => r.State).ToArray());
            insert.Parameters.AddWithValue(created.Select(r => r.Decision.Value).ToArray());
            await insert.ExecuteNonQueryAsync(ct);
        }
        var updated = rows.Where(r => r.Decision.Current is not null).ToList();
        if (updated.Count > 0)
        {
            await using var update = new NpgsqlCommand("""
                UPDATE alerts a SET state = u.state, value = coalesce(u.value, a.value), updated_at = $2,
                    firing_at = CASE WHEN u.state = 'firing' THEN $2 ELSE a.firing_at END,
                    resolved_at = CASE WHEN u.state = 'resolved' THEN $2 ELSE a.resolved_at END
                FROM unnest($3::uuid[], $4::text[], $5::float8[]) AS u(id, state, value)
                WHERE a.tenant_id = $1 AND a.id = u.id
                """, connection, transaction);
            update.Parameters.AddWithValue(tenantId);
            update.Parameters.AddWithValue(now);
            update.Parameters.AddWithValue(updated.Select(r => r.Id).ToArray());
            update.Parameters.AddWithValue(updated.Select(r => r.State).ToArray());
            update.Parameters.AddWithValue(updated.Select(r => r.Decision.Value).ToArray());
            await update.ExecuteNonQueryAsync(ct);
        }
        await using (var timeline = new NpgsqlCommand("""
            INSERT INTO alert_timeline (tenant_id, alert_id, at, state, value)
            SELECT $1, u.id, $2, u.state, u.value FROM unnest($3::uuid[], $4::text[], $5::float8[]) AS u(id, state, value)
            """, connection, transaction))
        {
            timeline.Parameters.AddWithValue(tenantId);
            timeline.Parameters.AddWithValue(now);
            timeline.Parameters.AddWithValue(rows.Select(r => r.Id).ToArray());
            timeline.Parameters.AddWithValue(rows.Select(r => r.Decision.Transition == AlertTransition.DropPending ? "dropped" : r.State).ToArray());
            timeline.Parameters.AddWithValue(rows.Select(r => r.Decision.Value).ToArray());
            await timeline.ExecuteNonQueryAsync(ct);
        }

        var views = new List<AlertView>(rows.Count);
        foreach (var row in rows)
        {
            var view = new AlertView(row.Id, rule.Id, rule.Body.Name, row.State, rule.Body.Severity, row.StartedAt, row.Decision.Value, row.Decision.Group);
            views.Add(view);
            // Pending alerts that never fired notify nobody; firing and its resolution do.
            var notify = row.Decision.Transition is AlertTransition.StartFiring or AlertTransition.Fire or AlertTransition.Resolve;
            if (notify && rule.Body.ChannelIds is { Count: > 0 } channels)
                await NotificationOutbox.EnqueueAsync(connection, transaction, tenantId, channels, row.Id, $"alert.{row.State}", JsonSerializer.SerializeToElement(view, Json.Options), now, ct);
        }
        return views;
    }
}
