using System.Text.Json;
using Npgsql;
using PulseStream.Http;
using PulseStream.Storage;

namespace PulseStream.Alerting;

/// <summary>What creating a rule did: the rule, or null when the tenant was at <paramref name="Limit"/>, its rule limit.</summary>
public sealed record RuleCreation(AlertRule? Rule, int Limit);

/// <summary>Alert rules of a tenant, stored as their contract JSON with the columns queries need.</summary>
public sealed class AlertRuleStore(Database database, TimeProvider time, Tenancy.TenantLimitsStore limits)
{
    public Task<List<AlertRule>> ListAsync(Guid tenantId, bool enabledOnly, CancellationToken ct) =>
        database.ForTenantAsync(tenantId, (c, t) => ListAsync(c, t, tenantId, enabledOnly, ct), ct);

    internal static async Task<List<AlertRule>> ListAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, bool enabledOnly, CancellationToken ct,
        Guid? ruleId = null)
    {
        await using var command = new NpgsqlCommand("""
            SELECT id, definition::text, created_at, updated_at, evaluation::text FROM alert_rules
            WHERE tenant_id = $1 AND (NOT $2 OR enabled) AND ($3::uuid IS NULL OR id = $3) ORDER BY created_at, id
            """, connection, transaction);
        command.Parameters.AddWithValue(tenantId);
        command.Parameters.AddWithValue(enabledOnly);
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)ruleId ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Uuid });
        var rules = new List<AlertRule>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var body = JsonSerializer.Deserialize<AlertRuleBody>(reader.GetString(1), Json.Options)!;
            var evaluation = reader.IsDBNull(4) ? null : JsonSerializer.Deserialize<RuleEvaluationStatus>(reader.GetString(4), Json.Options);
            rules.Add(new AlertRule(reader.GetGuid(0), body, reader.GetFieldValue<DateTimeOffset>(2), reader.GetFieldValue<DateTimeOffset>(3), evaluation));
        }
        return rules;
    }

    /// <summary>
    /// The names of the tenant's rules (at most 20, by name) whose definition has <paramref name="value"/> at
    /// <paramref name="field"/> (a constant jsonb path expression of the caller, like <c>definition -&gt;&gt; 'escalationPolicyId'</c>),
    /// in the caller's transaction: what a delete that rules depend on looks for.
    /// </summary>
    internal static async Task<List<string>> NamingAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, string field, string value,
        CancellationToken ct)
    {
        await using var command = new NpgsqlCommand($"SELECT name FROM alert_rules WHERE tenant_id = $1 AND {field} = $2 ORDER BY name LIMIT 20", connection, transaction);
        command.Parameters.AddWithValue(tenantId);
        command.Parameters.AddWithValue(value);
        var names = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) names.Add(reader.GetString(0));
        return names;
    }

    /// <summary>One rule of the tenant, or null.</summary>
    public async Task<AlertRule?> FindAsync(Guid tenantId, Guid ruleId, CancellationToken ct) =>
        (await database.ForTenantAsync(tenantId, (c, t) => ListAsync(c, t, tenantId, enabledOnly: false, ct, ruleId), ct)).SingleOrDefault();

    /// <summary>Records how rules' evaluations went, in the evaluation's transaction, with one statement.</summary>
    internal static async Task SaveEvaluationsAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId,
        IReadOnlyList<(Guid RuleId, RuleEvaluationStatus Status)> statuses, CancellationToken ct)
    {
        if (statuses.Count == 0) return;
        await using var command = new NpgsqlCommand("""
            UPDATE alert_rules r SET evaluation = u.evaluation::jsonb
            FROM unnest($2::uuid[], $3::text[]) AS u(id, evaluation)
            WHERE r.tenant_id = $1 AND r.id = u.id
            """, connection, transaction);
        command.Parameters.AddWithValue(tenantId);
        command.Parameters.AddWithValue(statuses.Select(s => s.RuleId).ToArray());
        command.Parameters.AddWithValue(statuses.Select(s => JsonSerializer.Serialize(s.Status, Json.Options)).ToArray());
        await command.ExecuteNonQueryAsync(ct);
    }

    /// <summary>
    /// Creates a rule unless the tenant is at its rule limit (<see cref="Tenancy.TenantLimits.MaxRules"/>, enabled
    /// rules or not). Creates of one tenant are serialised by a transaction-scoped advisory lock taken before counting:
    /// the lock is released only after the holder's insert is committed, and the count (READ COMMITTED, so a snapshot
    /// taken after the wait) then sees it, so concurrent creates cannot both see room for one more.
    /// </summary>
    public async Task<RuleCreation> CreateAsync(Guid tenantId, AlertRuleBody body, CancellationToken ct, Identity.AuditEntry? audit = null)
    {
        // Read before the transaction: no connection is held across the Table storage call.
        var limit = (await limits.GetAsync(tenantId, ct)).MaxRules;
        var rule = await database.ForTenantAsync<AlertRule?>(tenantId, async (connection, transaction) =>
        {
            if (!await TenantCreateLimit.HasRoomAsync(connection, transaction, "alert_rules", tenantId, limit, ct)) return null;
            var now = time.GetUtcNow();
            var rule = new AlertRule(Guid.CreateVersion7(), body, now, now);
            await using var insert = new NpgsqlCommand("""
                INSERT INTO alert_rules (tenant_id, id, name, enabled, severity, definition, created_at, updated_at)
                VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $7)
                """, connection, transaction);
            insert.Parameters.AddWithValue(tenantId);
            insert.Parameters.AddWithValue(rule.Id);
            insert.Parameters.AddWithValue(body.Name);
            insert.Parameters.AddWithValue(body.Enabled);
            insert.Parameters.AddWithValue(body.Severity);
            insert.Parameters.AddWithValue(JsonSerializer.Serialize(body, Json.Options));
            insert.Parameters.AddWithValue(now);
            await insert.ExecuteNonQueryAsync(ct);
            if (audit is not null)
                await Identity.AuditLog.AppendAsync(connection, transaction, audit with { TargetType = "alert_rule", TargetId = rule.Id.ToString(), Summary = new { before = (object?)null, after = body } }, ct);
            return rule;
        }, ct);
        return new RuleCreation(rule, limit);
    }

    /// <summary>The ids among <paramref name="channelIds"/> that are not channels of the tenant.</summary>
    public Task<List<Guid>> UnknownChannelsAsync(Guid tenantId, IReadOnlyList<Guid> channelIds, CancellationToken ct) =>
        database.ForTenantAsync(tenantId, async (connection, transaction) =>
        {
            await using var command = new NpgsqlCommand(
                "SELECT id FROM channels WHERE tenant_id = $1 AND id = ANY($2)", connection, transaction);
            command.Parameters.AddWithValue(tenantId);
            command.Parameters.AddWithValue(channelIds.ToArray());
            var known = new HashSet<Guid>();
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct)) known.Add(reader.GetGuid(0));
            return channelIds.Where(id => !known.Contains(id)).ToList();
        }, ct);
}
