using Npgsql;

namespace PulseStream.Alerting.Escalation;

/// <summary>Starts escalation runs: the one call evaluation makes when alerts of a rule with a policy start firing.</summary>
public static class EscalationRuns
{
    /// <summary>
    /// In the evaluation's transaction, gives each alert of <paramref name="alerts"/> that is firing now (it just
    /// started: evaluation passes only alerts that changed) a run of the rule's policy, if the rule names one. The row
    /// says only when the alert fired ('starting'); <see cref="EscalationRunner"/> schedules the first step from the
    /// policy as it is then, so this costs the evaluation one insert. An alert that has a run already keeps it.
    /// </summary>
    public static async Task StartAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, AlertRule rule,
        IReadOnlyList<AlertView> alerts, DateTimeOffset now, CancellationToken ct)
    {
        if (rule.Body.EscalationPolicyId is not { } policyId) return;
        var firing = alerts.Where(a => a.State == "firing").Select(a => a.Id).ToArray();
        if (firing.Length == 0) return;
        await using var insert = new NpgsqlCommand("""
            INSERT INTO escalation_state (tenant_id, alert_id, policy_id, phase, cycle, next_step, next_at)
            SELECT $1, u.id, $2, 'starting', 0, 0, $4 FROM unnest($3::uuid[]) AS u(id)
            ON CONFLICT (tenant_id, alert_id) DO NOTHING
            """, connection, transaction);
        insert.Parameters.AddWithValue(tenantId);
        insert.Parameters.AddWithValue(policyId);
        insert.Parameters.AddWithValue(firing);
        insert.Parameters.AddWithValue(now);
        await insert.ExecuteNonQueryAsync(ct);
    }
}
