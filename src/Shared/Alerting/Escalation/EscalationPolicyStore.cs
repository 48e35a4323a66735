using System.Text.Json;
using Npgsql;
using PulseStream.Http;
using PulseStream.Identity;
using PulseStream.Storage;

namespace PulseStream.Alerting.Escalation;

/// <summary>What a policy write did.</summary>
public enum PolicyWriteOutcome { Written, NotFound, UnknownTargets, NameTaken, Limit }

/// <summary>A policy write's result: the policy when written, else why not (the unknown channels and members, if that).</summary>
public sealed record PolicyWrite(PolicyWriteOutcome Outcome, EscalationPolicy? Policy = null, IReadOnlyList<FieldError>? Errors = null);

/// <summary>
/// The tenant's escalation policies in Postgres (table <c>escalation_policies</c>, row-level security by tenant), stored
/// as their contract JSON. A write checks, in its transaction, that every channel and member it names is the tenant's:
/// the channels are locked <c>FOR KEY SHARE</c>, so a channel deleted at the same moment either waits and then finds
/// this policy naming it (409), or is gone first and the write answers unknown. Every change is audited in its transaction.
/// </summary>
public sealed class EscalationPolicyStore(Database database, TimeProvider time)
{
    /// <summary>At most this many policies per tenant.</summary>
    public const int MaxPolicies = 50;

    public Task<List<EscalationPolicy>> ListAsync(Guid tenantId, CancellationToken ct) =>
        database.ForTenantAsync(tenantId, (connection, transaction) => ReadAsync(connection, transaction, tenantId, null, forUpdate: false, ct), ct);

    public async Task<EscalationPolicy?> FindAsync(Guid tenantId, Guid id, CancellationToken ct) =>
        (await database.ForTenantAsync(tenantId, (connection, transaction) => ReadAsync(connection, transaction, tenantId, id, forUpdate: false, ct), ct)).SingleOrDefault();

    /// <summary>Creates a policy unless the tenant is at <see cref="MaxPolicies"/>, the name is taken, or a target is not the tenant's.</summary>
    public Task<PolicyWrite> CreateAsync(Guid tenantId, EscalationPolicyBody body, AuditEntry audit, CancellationToken ct) =>
        database.ForTenantAsync(tenantId, async (connection, transaction) =>
        {
            // Serialise creations per tenant, so two at once cannot both pass the count.
            if (!await TenantCreateLimit.HasRoomAsync(connection, transaction, "escalation_policies", tenantId, MaxPolicies, ct)) return new PolicyWrite(PolicyWriteOutcome.Limit);
            if (await UnknownTargetsAsync(connection, transaction, tenantId, body, ct) is { Count: > 0 } unknown) return new PolicyWrite(PolicyWriteOutcome.UnknownTargets, Errors: unknown);
            if (await NameTakenAsync(connection, transaction, tenantId, body.Name!, null, ct)) return new PolicyWrite(PolicyWriteOutcome.NameTaken);
            var now = time.GetUtcNow();
            var policy = new EscalationPolicy(Guid.CreateVersion7(), body, now, now);
            await using (var insert = new NpgsqlCommand("""
                INSERT INTO escalation_policies (tenant_id, id, name, definition, created_at, updated_at) VALUES ($1, $2, $3, $4::jsonb, $5, $5)
                """, connection, transaction))
            {
                insert.Parameters.AddWithValue(tenantId);
                insert.Parameters.AddWithValue(policy.Id);
                insert.Parameters.AddWithValue(body.Name!);
                insert.Parameters.AddWithValue(JsonSerializer.Serialize(body, Json.Options));
                insert.Parameters.AddWithValue(now);
                await insert.ExecuteNonQueryAsync(ct);
            }
            await AuditLog.AppendAsync(connection, transaction, audit with
            {
                TargetType = "escalation_policy", TargetId = policy.Id.ToString(), Summary = new { before = (object?)null, after = body },
            }, ct);
            // Read back, so the answer carries the times as stored (microseconds), as every later read does.
            return new PolicyWrite(PolicyWriteOutcome.Written, (await ReadAsync(connection, transaction, tenantId, policy.Id, forUpdate: false, ct)).Single());
        }, ct);

    /// <summary>Replaces a policy's whole body, checked as on create.</summary>
    public Task<PolicyWrite> ReplaceAsync(Guid tenantId, Guid id, EscalationPolicyBody body, AuditEntry audit, CancellationToken ct) =>
        database.ForTenantAsync(tenantId, async (connection, transaction) =>
        {
            if ((await ReadAsync(connection, transaction, tenantId, id, forUpdate: true, ct)).SingleOrDefault() is not { } before)
                return new PolicyWrite(PolicyWriteOutcome.NotFound);
            if (await UnknownTargetsAsync(connection, transaction, tenantId, body, ct) is { Count: > 0 } unknown) return new PolicyWrite(PolicyWriteOutcome.UnknownTargets, Errors: unknown);
            if (await NameTakenAsync(connection, transaction, tenantId, body.Name!, id, ct)) return new PolicyWrite(PolicyWriteOutcome.NameTaken);
            var now = time.GetUtcNow();
            await using (var update = new NpgsqlCommand(
                "UPDATE escalation_policies SET name = $3, definition = $4::jsonb, updated_at = $5 WHERE tenant_id = $1 AND id = $2", connection, transaction))
            {
                update.Parameters.AddWithValue(tenantId);
                update.Parameters.AddWithValue(id);
                update.Parameters.AddWithValue(body.Name!);
                update.Parameters.AddWithValue(JsonSerializer.Serialize(body, Json.Options));
                update.Parameters.AddWithValue(now);
                await update.ExecuteNonQueryAsync(ct);
            }
            await AuditLog.AppendAsync(connection, transaction, audit with
            {
                TargetType = "escalation_policy", TargetId = id.ToString(), Summary = new { before = before.Body, after = body },
            }, ct);
            return new PolicyWrite(PolicyWriteOutcome.Written, (await ReadAsync(connection, transaction, tenantId, id, forUpdate: false, ct)).Single());
        }, ct);

    public enum DeleteResult { Deleted, NotFound, InUse }

    /// <summary>
    /// Deletes a policy no rule names (<c>UsedBy</c> names the rules that still do, at most 20). The policy is locked
    /// first, so a rule naming it at the same moment either commits first and is found here, or waits and then fails
    /// on migration 0022's trigger.
    /// </summary>
    public Task<(DeleteResult Result, List<string> UsedBy)> DeleteAsync(Guid tenantId, Guid id, AuditEntry audit, CancellationToken ct) =>
        database.ForTenantAsync(tenantId, async (connection, transaction) =>
        {
            if ((await ReadAsync(connection, transaction, tenantId, id, forUpdate: true, ct)).SingleOrDefault() is not { } before)
                return (DeleteResult.NotFound, new List<string>());
            var usedBy = await AlertRuleStore.NamingAsync(connection, transaction, tenantId, "definition ->> 'escalationPolicyId'", id.ToString(), ct);
            if (usedBy.Count > 0) return (DeleteResult.InUse, usedBy);
            await using (var delete = new NpgsqlCommand("DELETE FROM escalation_policies WHERE tenant_id = $1 AND id = $2", connection, transaction))
            {
                delete.Parameters.AddWithValue(tenantId);
                delete.Parameters.AddWithValue(id);
                await delete.ExecuteNonQueryAsync(ct);
            }
            await AuditLog.AppendAsync(connection, transaction, audit with
            {
                TargetType = "escalation_policy", TargetId = id.ToString(), Summary = new { before = before.Body },
            }, ct);
            return (DeleteResult.Deleted, usedBy);
        }, ct);

    /// <summary>The names of the tenant's policies that name <paramref name="channelId"/> in a step (at most 20), in the caller's transaction.</summary>
    public static async Task<List<string>> NamingChannelAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, Guid channelId, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("""
            SELECT name FROM escalation_policies p
            WHERE tenant_id = $1 AND EXISTS (SELECT 1 FROM jsonb_array_elements(p.definition -> 'steps') s WHERE s -> 'channelIds' ? $2)
            ORDER BY name LIMIT 20
            """, connection, transaction);
        command.Parameters.AddWithValue(tenantId);
        command.Parameters.AddWithValue(channelId.ToString());
        var names = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) names.Add(reader.GetString(0));
        return names;
    }

    private static async Task<List<FieldError>> UnknownTargetsAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, EscalationPolicyBody body, CancellationToken ct)
    {
        var channels = EscalationPolicyValidator.ChannelsOf(body);
        var users = EscalationPolicyValidator.UsersOf(body);
        var knownChannels = await KnownAsync("SELECT id FROM channels WHERE tenant_id = $1 AND id = ANY($2) FOR KEY SHARE", channels);
        var knownUsers = await KnownAsync("SELECT id FROM users WHERE tenant_id = $1 AND id = ANY($2)", users);
        var errors = new List<FieldError>();
        var steps = body.Steps!;
        for (var i = 0; i < steps.Count; i++)
        {
            foreach (var channel in steps[i].ChannelIds ?? [])
                if (!knownChannels.Contains(channel)) errors.Add(new("steps.channelIds", $"No channel {channel}.", i));
            foreach (var user in steps[i].UserIds ?? [])
                if (!knownUsers.Contains(user)) errors.Add(new("steps.userIds", $"No member {user}.", i));
        }
        return errors;

        async Task<HashSet<Guid>> KnownAsync(string sql, IReadOnlyList<Guid> ids)
        {
            var known = new HashSet<Guid>();
            if (ids.Count == 0) return known;
            await using var command = new NpgsqlCommand(sql, connection, transaction);
            command.Parameters.AddWithValue(tenantId);
            command.Parameters.AddWithValue(ids.ToArray());
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct)) known.Add(reader.GetGuid(0));
            return known;
        }
    }

    private static async Task<bool> NameTakenAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, string name, Guid? except, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(
            "SELECT EXISTS (SELECT 1 FROM escalation_policies WHERE tenant_id = $1 AND lower(name) = lower($2) AND id IS DISTINCT FROM $3)", connection, transaction);
        command.Parameters.AddWithValue(tenantId);
        command.Parameters.AddWithValue(name);
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)except ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Uuid });
        return (bool)(await command.ExecuteScalarAsync(ct))!;
    }

    private static async Task<List<EscalationPolicy>> ReadAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, Guid? id, bool forUpdate, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand($"""
            SELECT id, definition::text, created_at, updated_at FROM escalation_policies
            WHERE tenant_id = $1 AND ($2::uuid IS NULL OR id = $2) ORDER BY lower(name), id{(forUpdate ? " FOR UPDATE" : "")}
            """, connection, transaction);
        command.Parameters.AddWithValue(tenantId);
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)id ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Uuid });
        var policies = new List<EscalationPolicy>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            policies.Add(new EscalationPolicy(reader.GetGuid(0), JsonSerializer.Deserialize<EscalationPolicyBody>(reader.GetString(1), Json.Options)!,
                reader.GetFieldValue<DateTimeOffset>(2), reader.GetFieldValue<DateTimeOffset>(3)));
        return policies;
    }
}
