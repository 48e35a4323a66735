using Npgsql;
using NpgsqlTypes;

namespace PulseStream.Alerting.Escalation;

/// <summary>One alert's row of <c>escalation_state</c> (migration 0023), as the runner reads it under its claim.</summary>
internal sealed record EscalationRow(Guid PolicyId, string Phase, int Run, int Cycle, int NextStep, DateTimeOffset NextAt, TimeSpan? AckTimeout, DateTimeOffset? MutedSince)
{
    /// <summary>The row, locked, if it is still claimed with <paramref name="token"/>; null when another runner took it over or it was stopped.</summary>
    public static async Task<EscalationRow?> ReadClaimedAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, Guid alertId, Guid token,
        CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("""
            SELECT policy_id, phase, run, cycle, next_step, next_at, ack_timeout, muted_since FROM escalation_state
            WHERE tenant_id = $1 AND alert_id = $2 AND claim_token = $3 FOR UPDATE
            """, connection, transaction);
        command.Parameters.AddWithValue(tenantId);
        command.Parameters.AddWithValue(alertId);
        command.Parameters.AddWithValue(token);
        await using var reader = await command.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct)) return null;
        return new EscalationRow(reader.GetGuid(0), reader.GetString(1), reader.GetInt32(2), reader.GetInt32(3), reader.GetInt32(4),
            reader.GetFieldValue<DateTimeOffset>(5), reader.IsDBNull(6) ? null : reader.GetFieldValue<TimeSpan>(6),
            reader.IsDBNull(7) ? null : reader.GetFieldValue<DateTimeOffset>(7));
    }

    /// <summary>The run is over (used up, stopped, or its alert or policy is gone).</summary>
    public static Task DeleteAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, Guid alertId, CancellationToken ct) =>
        ExecuteAsync(connection, transaction, "DELETE FROM escalation_state WHERE tenant_id = $1 AND alert_id = $2", ct, tenantId, alertId);

    /// <summary>The next position of the same run, released for whoever claims it when it is due.</summary>
    public static Task MoveAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, Guid alertId, int run, EscalationPosition next,
        TimeSpan? ackTimeout, CancellationToken ct) =>
        ExecuteAsync(connection, transaction, """
            UPDATE escalation_state SET phase = 'running', run = $3, cycle = $4, next_step = $5, next_at = $6, ack_timeout = $7,
                muted_since = NULL, claim_token = NULL, claimed_until = NULL
            WHERE tenant_id = $1 AND alert_id = $2
            """, ct, tenantId, alertId, run, next.Cycle, next.StepIndex, next.DueAt, Interval(ackTimeout));

    /// <summary>
    /// Every step and repeat has run, and the policy has an ack timeout: the row stays, never due, so that an
    /// acknowledgement still re-triggers the alert after <paramref name="ackTimeout"/> (the trigger of migration 0023).
    /// </summary>
    public static Task FinishAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, Guid alertId, TimeSpan ackTimeout, CancellationToken ct) =>
        ExecuteAsync(connection, transaction, """
            UPDATE escalation_state SET phase = 'done', next_at = 'infinity', ack_timeout = $3, muted_since = NULL, claim_token = NULL, claimed_until = NULL
            WHERE tenant_id = $1 AND alert_id = $2
            """, ct, tenantId, alertId, Interval(ackTimeout));

    /// <summary>A new run from the first step (the ack timeout re-triggered the alert).</summary>
    public static Task RestartAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, Guid alertId, int run, EscalationPosition first,
        TimeSpan ackTimeout, CancellationToken ct) =>
        MoveAsync(connection, transaction, tenantId, alertId, run, first, ackTimeout, ct);

    /// <summary>Waits in <paramref name="phase"/> until <paramref name="until"/> (an acknowledged alert's re-trigger instant).</summary>
    public static Task WaitAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, Guid alertId, string phase, DateTimeOffset until,
        TimeSpan? ackTimeout, CancellationToken ct) =>
        ExecuteAsync(connection, transaction, """
            UPDATE escalation_state SET phase = $3, next_at = $4, ack_timeout = $5, claim_token = NULL, claimed_until = NULL
            WHERE tenant_id = $1 AND alert_id = $2
            """, ct, tenantId, alertId, phase, until, Interval(ackTimeout));

    /// <summary>The step waits for a muted alert: it is looked at again at <paramref name="recheckAt"/>, still the same step.</summary>
    public static Task MuteAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, Guid alertId, DateTimeOffset mutedSince,
        DateTimeOffset recheckAt, CancellationToken ct) =>
        ExecuteAsync(connection, transaction, """
            UPDATE escalation_state SET muted_since = $3, next_at = $4, claim_token = NULL, claimed_until = NULL
            WHERE tenant_id = $1 AND alert_id = $2
            """, ct, tenantId, alertId, mutedSince, recheckAt);

    private static NpgsqlParameter Interval(TimeSpan? value) => new() { Value = (object?)value ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Interval };

    private static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, CancellationToken ct, params object[] values)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        foreach (var value in values) command.Parameters.Add(value as NpgsqlParameter ?? new NpgsqlParameter { Value = value });
        await command.ExecuteNonQueryAsync(ct);
    }
}
