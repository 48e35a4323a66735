using Npgsql;
using PulseStream.Alerting.Escalation;
using PulseStream.Alerting.Routing;

namespace PulseStream.Alerting;

/// <summary>What evaluation decided for one group of a rule: its open alert, if any, the transition and the value.</summary>
public sealed record AlertDecision(string Group, OpenAlert? Current, AlertTransition Transition, double? Value);

/// <summary>Writes alert transitions, their timeline and their notifications, in the evaluation's transaction.</summary>
public static class AlertTransitions
{
    /// <summary>
    /// What the live feed is told of a pending alert whose condition cleared before it fired: it is gone (deleted,
    /// never listed, counted or notified), and a live view that showed it pending removes it.
    /// </summary>
    public const string Dropped = "dropped";

    /// <summary>Why evaluation resolved an alert.</summary>
    public const string ConditionCleared = "condition cleared";

    /// <summary>
    /// Writes a rule's transitions with one statement each for new alerts, changed alerts, dropped pending alerts and
    /// the timeline (a rule may change up to its group bound at once), then enqueues the notifications of those that
    /// fired or resolved. A pending alert that clears before it fires is deleted: it never was an alert anyone was
    /// told of, so it is no resolved alert, and it notifies nobody.
    /// </summary>
    public static async Task<List<AlertView>> ApplyAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, AlertRule rule,
        List<AlertDecision> decisions, DateTimeOffset now, CancellationToken ct)
    {
        if (decisions.Count == 0) return [];
        var rows = decisions.Select(d => (Decision: d, Id: d.Current?.Id ?? Guid.CreateVersion7(), StartedAt: d.Current?.StartedAt ?? now,
            State: d.Transition switch
            {
                AlertTransition.StartPending => AlertStateMachine.ToText(AlertState.Pending),
                AlertTransition.StartFiring or AlertTransition.Fire => AlertStateMachine.ToText(AlertState.Firing),
                AlertTransition.DropPending => Dropped,
                _ => AlertStateMachine.ToText(AlertState.Resolved),
            })).ToList();

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
        var updated = rows.Where(r => r.Decision.Current is not null && r.State != Dropped).ToList();
        if (updated.Count > 0)
        {
            await using var update = new NpgsqlCommand("""
                UPDATE alerts a SET state = u.state, value = coalesce(u.value, a.value), updated_at = $2,
                    firing_at = CASE WHEN u.state = 'firing' THEN $2 ELSE a.firing_at END,
                    resolved_at = CASE WHEN u.state = 'resolved' THEN $2 ELSE a.resolved_at END,
                    resolved_reason = CASE WHEN u.state = 'resolved' THEN $6 ELSE a.resolved_reason END
                FROM unnest($3::uuid[], $4::text[], $5::float8[]) AS u(id, state, value)
                WHERE a.tenant_id = $1 AND a.id = u.id
                """, connection, transaction);
            update.Parameters.AddWithValue(tenantId);
            update.Parameters.AddWithValue(now);
            update.Parameters.AddWithValue(updated.Select(r => r.Id).ToArray());
            update.Parameters.AddWithValue(updated.Select(r => r.State).ToArray());
            update.Parameters.AddWithValue(updated.Select(r => r.Decision.Value).ToArray());
            update.Parameters.AddWithValue(ConditionCleared);
            await update.ExecuteNonQueryAsync(ct);
        }
        var dropped = rows.Where(r => r.State == Dropped).ToList();
        if (dropped.Count > 0)
        {
            // Its timeline goes with it (the foreign key cascades); a pending alert has no deliveries.
            await using var delete = new NpgsqlCommand("DELETE FROM alerts WHERE tenant_id = $1 AND id = ANY($2) AND state = 'pending'", connection, transaction);
            delete.Parameters.AddWithValue(tenantId);
            delete.Parameters.AddWithValue(dropped.Select(r => r.Id).ToArray());
            await delete.ExecuteNonQueryAsync(ct);
        }
        var kept = rows.Where(r => r.State != Dropped).ToList();
        if (kept.Count > 0)
        {
            await using var timeline = new NpgsqlCommand("""
                INSERT INTO alert_timeline (tenant_id, alert_id, at, kind, state, value, message)
                SELECT $1, u.id, $2, 'transition', u.state, u.value, CASE WHEN u.state = 'resolved' THEN $6 END
                FROM unnest($3::uuid[], $4::text[], $5::float8[]) AS u(id, state, value)
                """, connection, transaction);
            timeline.Parameters.AddWithValue(tenantId);
            timeline.Parameters.AddWithValue(now);
            timeline.Parameters.AddWithValue(kept.Select(r => r.Id).ToArray());
            timeline.Parameters.AddWithValue(kept.Select(r => r.State).ToArray());
            timeline.Parameters.AddWithValue(kept.Select(r => r.Decision.Value).ToArray());
            timeline.Parameters.AddWithValue(ConditionCleared);
            await timeline.ExecuteNonQueryAsync(ct);
        }

        // Kept alerts as stored now (who acknowledged them, when they fired); dropped ones as they were.
        var views = kept.Count == 0 ? [] : await AlertQueries.ListAsync(connection, transaction, tenantId, new AlertFilter(Ids: kept.Select(r => r.Id).ToArray()), kept.Count, now, ct);
        views.AddRange(dropped.Select(r => new AlertView(r.Id, rule.Id, rule.Body.Name, Dropped, rule.Body.Severity, r.StartedAt, r.Decision.Value, r.Decision.Group)));
        await EscalationRuns.StartAsync(connection, transaction, tenantId, rule, views, now, ct);
        // Pending alerts (and dropped ones) notify nobody; firing and its resolution do, unless muted.
        await AlertNotices.EnqueueAsync(connection, transaction, tenantId, rule.Body.ChannelIds ?? [], views.Where(v => v.State is "firing" or "resolved").ToList(), now, ct);
        return views;
    }
}
