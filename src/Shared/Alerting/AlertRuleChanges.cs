using System.Text.Json;
using Npgsql;
using PulseStream.Http;
using PulseStream.Identity;
using PulseStream.Storage;

namespace PulseStream.Alerting;

/// <summary>
/// What a change to a rule did: the rule before and after (null after a deletion), and the alerts it resolved (to be
/// pushed live once committed).
/// </summary>
public sealed record RuleChange(AlertRule Before, AlertRule? After, IReadOnlyList<AlertView> Resolved);

/// <summary>
/// Replaces and deletes rules. Each change is one transaction that holds the tenant's evaluation lock (the one
/// <see cref="AlertEvaluator"/> takes per unit), so an evaluation sees the rule either wholly before or wholly after
/// it, and re-checks under that lock that its rules are unchanged (<see cref="UnchangedAsync"/>). Disabling or
/// deleting closes the rule's open alerts (<see cref="AlertRuleClosure"/>); renaming or re-grading a rule carries its
/// name and severity to its open alerts. Every change is audited with the rule before and after.
/// </summary>
public sealed class AlertRuleChanges(Database database, TimeProvider time)
{
    /// <summary>Replaces the rule's body; null when the tenant has no such rule.</summary>
    public Task<RuleChange?> ReplaceAsync(Caller caller, Guid ruleId, AlertRuleBody body, string action, string? clientAddress, CancellationToken ct) =>
        ChangeAsync(caller, ruleId, _ => body, action, clientAddress, ct);

    /// <summary>Deletes the rule (its alerts stay, resolved); null when the tenant has no such rule.</summary>
    public Task<RuleChange?> DeleteAsync(Caller caller, Guid ruleId, string? clientAddress, CancellationToken ct) =>
        ChangeAsync(caller, ruleId, _ => null, "alert_rule.delete", clientAddress, ct);

    /// <summary>Turns the rule on or off (no change, and no audit entry, when it already is).</summary>
    public Task<RuleChange?> SetEnabledAsync(Caller caller, Guid ruleId, bool enabled, string? clientAddress, CancellationToken ct) =>
        ChangeAsync(caller, ruleId, rule => rule.Body with { Enabled = enabled }, enabled ? "alert_rule.enable" : "alert_rule.disable", clientAddress, ct);

    private Task<RuleChange?> ChangeAsync(Caller caller, Guid ruleId, Func<AlertRule, AlertRuleBody?> change, string action, string? clientAddress, CancellationToken ct) =>
        database.ForTenantAsync(caller.TenantId, async (connection, transaction) =>
        {
            var tenantId = caller.TenantId;
            await using (var lockTenant = new NpgsqlCommand("SELECT pg_advisory_xact_lock(hashtextextended('alerts:' || $1::text, 0))", connection, transaction))
            {
                lockTenant.Parameters.AddWithValue(tenantId.ToString());
                await lockTenant.ExecuteNonQueryAsync(ct);
            }
            var before = (await AlertRuleStore.ListAsync(connection, transaction, tenantId, enabledOnly: false, ct, ruleId)).SingleOrDefault();
            if (before is null) return null;
            var body = change(before);
            if (body is not null && JsonSerializer.Serialize(body, Json.Options) == JsonSerializer.Serialize(before.Body, Json.Options))
                return new RuleChange(before, before, []);

            // Microseconds, as Postgres keeps them, so the rule answered is the rule stored.
            var stamp = time.GetUtcNow();
            var now = stamp.AddTicks(-(stamp.UtcTicks % 10));
            var after = body is null ? null : before with { Body = body, UpdatedAt = now };
            IReadOnlyList<AlertView> resolved = [];
            if (after is null || (before.Body.Enabled && !after.Body.Enabled))
                resolved = await AlertRuleClosure.CloseAsync(connection, transaction, tenantId, before,
                    after is null ? RuleClosureReason.Deleted : RuleClosureReason.Disabled, caller.UserId, await EmailOfAsync(connection, transaction, caller, ct), now, ct);

            if (after is null) await DeleteRowAsync(connection, transaction, tenantId, ruleId, ct);
            else await UpdateRowAsync(connection, transaction, tenantId, after, ct);

            await AuditLog.AppendAsync(connection, transaction, new AuditEntry(tenantId, Actor.User(caller.UserId), action, "alert_rule", ruleId.ToString(),
                new { before = before.Body, after = after?.Body, resolvedAlerts = resolved.Count }, clientAddress), ct);
            return new RuleChange(before, after, resolved);
        }, ct);

    private static async Task UpdateRowAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, AlertRule rule, CancellationToken ct)
    {
        await using (var update = new NpgsqlCommand("""
            UPDATE alert_rules SET name = $3, enabled = $4, severity = $5, definition = $6::jsonb, updated_at = $7
            WHERE tenant_id = $1 AND id = $2
            """, connection, transaction))
        {
            update.Parameters.AddWithValue(tenantId);
            update.Parameters.AddWithValue(rule.Id);
            update.Parameters.AddWithValue(rule.Body.Name);
            update.Parameters.AddWithValue(rule.Body.Enabled);
            update.Parameters.AddWithValue(rule.Body.Severity);
            update.Parameters.AddWithValue(JsonSerializer.Serialize(rule.Body, Json.Options));
            update.Parameters.AddWithValue(rule.UpdatedAt);
            await update.ExecuteNonQueryAsync(ct);
        }
        // Open alerts show the rule as it is now; closed ones keep what they were.
        await using var carry = new NpgsqlCommand("""
            UPDATE alerts SET rule_name = $3, severity = $4
            WHERE tenant_id = $1 AND rule_id = $2 AND state <> 'resolved' AND (rule_name <> $3 OR severity <> $4)
            """, connection, transaction);
        carry.Parameters.AddWithValue(tenantId);
        carry.Parameters.AddWithValue(rule.Id);
        carry.Parameters.AddWithValue(rule.Body.Name);
        carry.Parameters.AddWithValue(rule.Body.Severity);
        await carry.ExecuteNonQueryAsync(ct);
    }

    private static async Task DeleteRowAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, Guid ruleId, CancellationToken ct)
    {
        await using var delete = new NpgsqlCommand("DELETE FROM alert_rules WHERE tenant_id = $1 AND id = $2", connection, transaction);
        delete.Parameters.AddWithValue(tenantId);
        delete.Parameters.AddWithValue(ruleId);
        await delete.ExecuteNonQueryAsync(ct);
    }

    /// <summary>The acting person's e-mail address, for the timeline entry that says who closed the alerts.</summary>
    private static async Task<string> EmailOfAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Caller caller, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("SELECT email FROM users WHERE tenant_id = $1 AND id = $2", connection, transaction);
        command.Parameters.AddWithValue(caller.TenantId);
        command.Parameters.AddWithValue(caller.UserId);
        return await command.ExecuteScalarAsync(ct) as string ?? "a former member";
    }

    /// <summary>
    /// The ids among <paramref name="rules"/> that are still enabled and unchanged since they were read, in the
    /// caller's transaction: an evaluation that read its rules before a change must not act on the old definition
    /// (a disabled rule would open an alert nobody closes). Changed rules are evaluated on the next round.
    /// </summary>
    public static async Task<HashSet<Guid>> UnchangedAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId,
        IReadOnlyList<AlertRule> rules, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("""
            SELECT r.id FROM alert_rules r JOIN unnest($2::uuid[], $3::timestamptz[]) AS u(id, updated_at) ON r.id = u.id
            WHERE r.tenant_id = $1 AND r.enabled AND r.updated_at = u.updated_at
            """, connection, transaction);
        command.Parameters.AddWithValue(tenantId);
        command.Parameters.AddWithValue(rules.Select(r => r.Id).ToArray());
        command.Parameters.AddWithValue(rules.Select(r => r.UpdatedAt).ToArray());
        var unchanged = new HashSet<Guid>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) unchanged.Add(reader.GetGuid(0));
        return unchanged;
    }
}
