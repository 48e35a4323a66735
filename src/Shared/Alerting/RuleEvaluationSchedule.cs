using Npgsql;
using NpgsqlTypes;
using PulseStream.Storage;

namespace PulseStream.Alerting;

/// <summary>A tenant whose rules are due, as claimed: since when it is due, and how many evaluations overran in a row.</summary>
public sealed record DueTenant(Guid TenantId, DateTimeOffset DueSince, int Overruns);

/// <summary>What an evaluation leaves in the schedule: the next attempt, the overrun count, and whether it is due again.</summary>
/// <param name="DueAgainSince">
/// Null when the evaluation completed and no rule waits; else the time it stays due since: its old time when it was
/// not evaluated, or a future time when rules left out for their interval may run then (migration 0027).
/// </param>
public sealed record ScheduleUpdate(DateTimeOffset NextAt, int Overruns, DateTimeOffset? DueAgainSince, EvaluationOutcome Outcome, TimeSpan Duration);

/// <summary>The durable queue of tenants whose rules are due: the seam between the evaluator's lanes and Postgres.</summary>
public interface IDueTenantQueue
{
    /// <summary>The tenant due longest whose next attempt has come, leased to the caller; null when none is.</summary>
    Task<DueTenant?> ClaimAsync(DateTimeOffset now, TimeSpan lease, CancellationToken ct);

    /// <summary>Records the outcome of a claimed tenant's evaluation and when it may be evaluated next.</summary>
    Task CompleteAsync(DueTenant tenant, ScheduleUpdate update, CancellationToken ct);
}

/// <summary>
/// The rule-evaluation schedule in Postgres (<c>rule_evaluation_schedule</c>, migration 0007). The Alerts consumer
/// marks the tenants of each batch due inside the batch's transaction (one statement); the sweep marks every tenant
/// with an enabled rule; the evaluator claims and completes. Marking never waits for an evaluation: evaluations hold
/// no lock on the schedule while they run.
/// </summary>
public sealed class RuleEvaluationSchedule(Database database) : IDueTenantQueue
{
    /// <summary>Marks <paramref name="tenantIds"/> due (those with an enabled rule), in the caller's transaction.</summary>
    public static async Task MarkDueAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, IEnumerable<Guid> tenantIds, CancellationToken ct)
    {
        var tenants = tenantIds.Distinct().Order().ToArray();
        if (tenants.Length == 0) return;
        await using var command = new NpgsqlCommand("SELECT mark_rules_due($1)", connection, transaction);
        command.Parameters.Add(new NpgsqlParameter { Value = tenants, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Uuid });
        await command.ExecuteNonQueryAsync(ct);
    }

    /// <summary>The sweep: every tenant with an enabled rule is due, so conditions resolve without traffic.</summary>
    public async Task MarkAllDueAsync(CancellationToken ct)
    {
        await using var command = database.DataSource.CreateCommand("SELECT mark_all_rules_due()");
        await command.ExecuteNonQueryAsync(ct);
    }

    public async Task<DueTenant?> ClaimAsync(DateTimeOffset now, TimeSpan lease, CancellationToken ct)
    {
        await using var command = database.DataSource.CreateCommand("SELECT tenant_id, due_since, overruns FROM claim_due_rule_evaluation($1, $2)");
        command.Parameters.AddWithValue(now);
        command.Parameters.AddWithValue(lease);
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct)
            ? new DueTenant(reader.GetGuid(0), reader.GetFieldValue<DateTimeOffset>(1), reader.GetInt32(2))
            : null;
    }

    public Task CompleteAsync(DueTenant tenant, ScheduleUpdate update, CancellationToken ct) =>
        database.ForTenantAsync(tenant.TenantId, async (connection, transaction) =>
        {
            // A tenant that was not evaluated stays due since its older time; one marked again meanwhile keeps the mark.
            await using var command = new NpgsqlCommand("""
                UPDATE rule_evaluation_schedule SET
                    due_since = CASE WHEN $2::timestamptz IS NULL THEN due_since ELSE least(coalesce(due_since, $2), $2) END,
                    next_at = $3, overruns = $4, last_duration_ms = $5, last_outcome = $6
                WHERE tenant_id = $1
                """, connection, transaction);
            command.Parameters.AddWithValue(tenant.TenantId);
            command.Parameters.Add(new NpgsqlParameter { Value = (object?)update.DueAgainSince ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz });
            command.Parameters.AddWithValue(update.NextAt);
            command.Parameters.AddWithValue(update.Overruns);
            command.Parameters.AddWithValue((int)Math.Min(int.MaxValue, update.Duration.TotalMilliseconds));
            command.Parameters.AddWithValue(update.Outcome.ToString().ToLowerInvariant());
            await command.ExecuteNonQueryAsync(ct);
        }, ct);
}
