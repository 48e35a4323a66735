using System.Text.Json;
using Npgsql;
using PulseStream.Alerting.Routing;
using PulseStream.Http;
using PulseStream.Notifications;

namespace PulseStream.Alerting;

/// <summary>Why a rule's open alerts were closed by a person rather than by their condition.</summary>
public enum RuleClosureReason { Disabled, Deleted }

/// <summary>
/// Closes a rule's open alerts when a person disables or deletes the rule, in that change's transaction (which holds
/// the tenant's evaluation lock, so no evaluation interleaves). An alert that fired (firing or acknowledged) resolves,
/// with a timeline entry <c>{kind: "rule", message: "rule disabled by x@y"}</c> (or deleted), and its resolve
/// notification is enqueued to the rule's channels, as when its condition clears. A pending alert never fired and
/// nobody was told of it: it is removed with its timeline, so it never shows as resolved and notifies nobody.
/// </summary>
public static class AlertRuleClosure
{
    public static string Message(RuleClosureReason reason, string actorEmail) =>
        $"rule {(reason == RuleClosureReason.Disabled ? "disabled" : "deleted")} by {actorEmail}";

    /// <summary>Closes <paramref name="rule"/>'s open alerts; returns the resolved ones as the live feed shows them.</summary>
    public static async Task<List<AlertView>> CloseAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, AlertRule rule,
        RuleClosureReason reason, Guid actorId, string actorEmail, DateTimeOffset now, CancellationToken ct)
    {
        // The timeline goes with it (its foreign key cascades).
        await using (var dropPending = new NpgsqlCommand(
            "DELETE FROM alerts WHERE tenant_id = $1 AND rule_id = $2 AND state = 'pending'", connection, transaction))
        {
            dropPending.Parameters.AddWithValue(tenantId);
            dropPending.Parameters.AddWithValue(rule.Id);
            await dropPending.ExecuteNonQueryAsync(ct);
        }

        var closedIds = new List<(Guid Id, double? Value)>();
        await using (var resolve = new NpgsqlCommand("""
            UPDATE alerts SET state = 'resolved', resolved_at = $3, updated_at = $3, resolved_by = $4, resolved_reason = $5
            WHERE tenant_id = $1 AND rule_id = $2 AND state IN ('firing', 'acknowledged')
            RETURNING id, value
            """, connection, transaction))
        {
            resolve.Parameters.AddWithValue(tenantId);
            resolve.Parameters.AddWithValue(rule.Id);
            resolve.Parameters.AddWithValue(now);
            resolve.Parameters.AddWithValue(actorId);
            resolve.Parameters.AddWithValue(reason == RuleClosureReason.Disabled ? "rule disabled" : "rule deleted");
            await using var reader = await resolve.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct)) closedIds.Add((reader.GetGuid(0), reader.IsDBNull(1) ? null : reader.GetDouble(1)));
        }
        if (closedIds.Count == 0) return [];
        // Read back as every other writer's views are: with who resolved them and why.
        var closed = await AlertQueries.ListAsync(connection, transaction, tenantId, new AlertFilter(Ids: closedIds.Select(a => a.Id).ToArray()), closedIds.Count, now, ct);

        await using (var timeline = new NpgsqlCommand("""
            INSERT INTO alert_timeline (tenant_id, alert_id, at, state, value, kind, message, actor_id)
            SELECT $1, u.id, $2, 'resolved', u.value, 'rule', $4, $5 FROM unnest($3::uuid[], $6::float8[]) AS u(id, value)
            """, connection, transaction))
        {
            timeline.Parameters.AddWithValue(tenantId);
            timeline.Parameters.AddWithValue(now);
            timeline.Parameters.AddWithValue(closed.Select(a => a.Id).ToArray());
            timeline.Parameters.AddWithValue(Message(reason, actorEmail));
            timeline.Parameters.AddWithValue(actorId);
            timeline.Parameters.AddWithValue(closed.Select(a => a.Value).ToArray());
            await timeline.ExecuteNonQueryAsync(ct);
        }
        await AlertNotices.EnqueueAsync(connection, transaction, tenantId, rule.Body.ChannelIds ?? [], closed, now, ct);
        return closed;
    }
}
