using Npgsql;
using PulseStream.Alerting.Escalation;
using PulseStream.Alerting.Routing;

namespace PulseStream.Alerting;

/// <summary>
/// What evaluation decided for one group of a rule: its open alert, if any, the transition and the value; with flap
/// detection, whether flapping starts or stops with it and the timeline's summary of that, and the group's flap state
/// to store (null: unchanged); for an anomaly rule's group that fires, why (<see cref="Anomalies.AnomalyExplainer"/>).
/// </summary>
public sealed record AlertDecision(string Group, OpenAlert? Current, AlertTransition Transition, double? Value,
    FlapMark Flap = FlapMark.None, string? FlapNote = null, FlapHistory? FlapHistory = null, Anomalies.AnomalyExplanation? Explanation = null);

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
    /// told of, so it is no resolved alert, and it notifies nobody. An alert that starts flapping (<see cref="AlertFlapping"/>)
    /// is marked so, with a <c>flapping</c> timeline entry summarising the changes, and notifies <c>alert.flapping</c>
    /// (instead of <c>alert.firing</c> when it opens flapping); one that stops flapping gets a summary entry, and notifies
    /// only if it resolves.
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
                AlertTransition.StartFlapping or AlertTransition.StopFlapping => AlertStateMachine.ToText(d.Current!.State),
                _ => AlertStateMachine.ToText(AlertState.Resolved),
            })).ToList();

        var created = rows.Where(r => r.Decision.Current is null).ToList();
        if (created.Count > 0)
        {
            await using var insert = new NpgsqlCommand("""
                INSERT INTO alerts (tenant_id, id, rule_id, group_key, state, severity, value, started_at, firing_at, updated_at, flapping_since, explanation)
                SELECT $1, u.id, $2, u.group_key, u.state, $3, u.value, $4, CASE WHEN u.state = 'firing' THEN $4 END, $4, CASE WHEN u.flapping THEN $4 END,
                       u.explanation::jsonb
                FROM unnest($5::uuid[], $6::text[], $7::text[], $8::float8[], $9::bool[], $10::text[]) AS u(id, group_key, state, value, flapping, explanation)
                """, connection, transaction);
            insert.Parameters.AddWithValue(tenantId);
            insert.Parameters.AddWithValue(rule.Id);
            insert.Parameters.AddWithValue(rule.Body.Severity);
            insert.Parameters.AddWithValue(now);
            insert.Parameters.AddWithValue(created.Select(r => r.Id).ToArray());
            insert.Parameters.AddWithValue(created.Select(r => r.Decision.Group).ToArray());
            insert.Parameters.AddWithValue(created.Select(r => r.State).ToArray());
            insert.Parameters.AddWithValue(created.Select(r => r.Decision.Value).ToArray());
            insert.Parameters.AddWithValue(created.Select(r => r.Decision.Flap == FlapMark.Start).ToArray());
            insert.Parameters.AddWithValue(created.Select(r => ExplanationOf(r.Decision)).ToArray());
            await insert.ExecuteNonQueryAsync(ct);
        }
        var updated = rows.Where(r => r.Decision.Current is not null && r.State != Dropped).ToList();
        if (updated.Count > 0)
        {
            await using var update = new NpgsqlCommand("""
                UPDATE alerts a SET state = u.state, value = coalesce(u.value, a.value), updated_at = $2,
                    firing_at = CASE WHEN u.state = 'firing' AND a.state <> 'firing' THEN $2 ELSE a.firing_at END,
                    resolved_at = CASE WHEN u.state = 'resolved' THEN $2 ELSE a.resolved_at END,
                    resolved_reason = CASE WHEN u.state = 'resolved' THEN $6 ELSE a.resolved_reason END,
                    flapping_since = CASE u.flap WHEN 'start' THEN $2 WHEN 'stop' THEN NULL ELSE a.flapping_since END,
                    -- A flapping alert's keepFiringFor clock runs underneath it (AlertFlapping): it starts afresh.
                    cleared_at = CASE WHEN u.flap = 'start' THEN NULL ELSE a.cleared_at END,
                    explanation = coalesce(u.explanation::jsonb, a.explanation)
                FROM unnest($3::uuid[], $4::text[], $5::float8[], $7::text[], $8::text[]) AS u(id, state, value, flap, explanation)
                WHERE a.tenant_id = $1 AND a.id = u.id
                """, connection, transaction);
            update.Parameters.AddWithValue(tenantId);
            update.Parameters.AddWithValue(now);
            update.Parameters.AddWithValue(updated.Select(r => r.Id).ToArray());
            update.Parameters.AddWithValue(updated.Select(r => r.State).ToArray());
            update.Parameters.AddWithValue(updated.Select(r => r.Decision.Value).ToArray());
            update.Parameters.AddWithValue(ConditionCleared);
            update.Parameters.AddWithValue(updated.Select(r => r.Decision.Flap switch { FlapMark.Start => "start", FlapMark.Stop => "stop", _ => "" }).ToArray());
            update.Parameters.AddWithValue(updated.Select(r => ExplanationOf(r.Decision)).ToArray());
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
        // The timeline in the order things happened: a flap summary that ends flapping before the resolve it brings,
        // one that starts it after the firing that opened the alert.
        var entries = kept.SelectMany(r => new (string Kind, string? Message)?[]
            {
                r.Decision.Flap == FlapMark.Stop ? ("flapping", r.Decision.FlapNote) : null,
                IsFlapOnly(r.Decision.Transition) ? null : ("transition", r.State == "resolved" ? ConditionCleared : null),
                r.Decision.Flap == FlapMark.Start ? ("flapping", r.Decision.FlapNote) : null,
            }.Where(e => e is not null).Select(e => (r.Id, r.State, r.Decision.Value, e!.Value.Kind, e.Value.Message))).ToList();
        if (entries.Count > 0)
        {
            await using var timeline = new NpgsqlCommand("""
                INSERT INTO alert_timeline (tenant_id, alert_id, at, kind, state, value, message)
                SELECT $1, u.id, $2, u.kind, u.state, u.value, u.message
                FROM unnest($3::uuid[], $4::text[], $5::float8[], $6::text[], $7::text[]) WITH ORDINALITY AS u(id, state, value, kind, message, n)
                ORDER BY u.n
                """, connection, transaction);
            timeline.Parameters.AddWithValue(tenantId);
            timeline.Parameters.AddWithValue(now);
            timeline.Parameters.AddWithValue(entries.Select(e => e.Id).ToArray());
            timeline.Parameters.AddWithValue(entries.Select(e => e.State).ToArray());
            timeline.Parameters.AddWithValue(entries.Select(e => e.Value).ToArray());
            timeline.Parameters.AddWithValue(entries.Select(e => e.Kind).ToArray());
            timeline.Parameters.AddWithValue(entries.Select(e => e.Message).ToArray());
            await timeline.ExecuteNonQueryAsync(ct);
        }

        // Kept alerts as stored now (who acknowledged them, when they fired); dropped ones as they were.
        var views = kept.Count == 0 ? [] : await AlertQueries.ListAsync(connection, transaction, tenantId, new AlertFilter(Ids: kept.Select(r => r.Id).ToArray()), kept.Count, now, ct);
        var started = kept.Where(r => r.Decision.Flap == FlapMark.Start).Select(r => r.Id).ToHashSet();
        views = views.Select(v => started.Contains(v.Id) ? v with { FlappingStarted = true } : v).ToList();
        views.AddRange(dropped.Select(r => new AlertView(r.Id, rule.Id, rule.Body.Name, Dropped, rule.Body.Severity, r.StartedAt, r.Decision.Value, r.Decision.Group)));
        var flapOnly = kept.Where(r => IsFlapOnly(r.Decision.Transition)).Select(r => r.Id).ToHashSet();
        await EscalationRuns.StartAsync(connection, transaction, tenantId, rule, views.Where(v => !flapOnly.Contains(v.Id)).ToList(), now, ct);
        // Pending alerts (and dropped ones) notify nobody; firing and its resolution do, unless muted; so does the start
        // of flapping (alert.flapping, AlertFlapping.EventType), and nothing else flapping does.
        await AlertNotices.EnqueueAsync(connection, transaction, tenantId, rule.Body.ChannelIds ?? [],
            views.Where(v => v.FlappingStarted || (!flapOnly.Contains(v.Id) && v.State is "firing" or "resolved")).ToList(), now, ct);
        return views;
    }

    private static string? ExplanationOf(AlertDecision decision) =>
        decision.Explanation is null ? null : System.Text.Json.JsonSerializer.Serialize(decision.Explanation, Http.Json.Options);

    /// <summary>Transitions that change no state, only whether the alert flaps.</summary>
    private static bool IsFlapOnly(AlertTransition transition) => transition is AlertTransition.StartFlapping or AlertTransition.StopFlapping;
}
