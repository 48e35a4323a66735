using System.Text.Json;
using Npgsql;
using NpgsqlTypes;
using PulseStream.Alerting;
using PulseStream.Http;
using PulseStream.Identity;
using PulseStream.Metrics;
using PulseStream.Storage;

namespace PulseStream.Slos;

public enum SloWriteOutcome { Written, NotFound, NameTaken, Limit, InUse }

/// <summary>What a write did; <paramref name="UsedBy"/>: the rules that keep an SLO from being deleted.</summary>
public sealed record SloWrite(SloWriteOutcome Outcome, Slo? Slo = null, IReadOnlyList<string>? UsedBy = null);

/// <summary>
/// A tenant's SLOs in Postgres (table <c>slos</c>, row-level security by tenant); every change audited with the SLO
/// before and after, in the same transaction.
/// </summary>
public sealed class SloStore(Database database, TimeProvider time)
{
    /// <summary>At most this many SLOs per tenant.</summary>
    public const int MaxPerTenant = 100;

    public Task<List<Slo>> ListAsync(Guid tenantId, CancellationToken ct) =>
        database.ForTenantAsync(tenantId, (connection, transaction) => ReadAsync(connection, transaction, tenantId, null, false, ct), ct);

    public async Task<Slo?> FindAsync(Guid tenantId, Guid id, CancellationToken ct) =>
        (await database.ForTenantAsync(tenantId, (connection, transaction) => ReadAsync(connection, transaction, tenantId, id, false, ct), ct)).SingleOrDefault();

    /// <summary>One SLO of the tenant, or null, in the caller's transaction (a burn-rate rule's evaluation).</summary>
    internal static async Task<Slo?> FindAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, Guid id, CancellationToken ct) =>
        (await ReadAsync(connection, transaction, tenantId, id, false, ct)).SingleOrDefault();

    /// <summary>Creates an SLO unless the tenant has <see cref="MaxPerTenant"/> or the name is taken; a tenant's creates are serialised.</summary>
    public Task<SloWrite> CreateAsync(Caller caller, ValidSlo slo, string? clientAddress, CancellationToken ct) =>
        database.ForTenantAsync(caller.TenantId, async (connection, transaction) =>
        {
            if (!await TenantCreateLimit.HasRoomAsync(connection, transaction, "slos", caller.TenantId, MaxPerTenant, ct)) return new SloWrite(SloWriteOutcome.Limit);
            if (await NameTakenAsync(connection, transaction, caller.TenantId, slo.Name, null, ct)) return new SloWrite(SloWriteOutcome.NameTaken);
            var id = Guid.CreateVersion7();
            await using (var insert = new NpgsqlCommand("""
                INSERT INTO slos (tenant_id, id, name, filters, sli_type, threshold_ms, objective, window_days, per_consumer_top, created_by, created_at, updated_at)
                VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7, $8, $9, $10, $11, $11)
                """, connection, transaction))
            {
                insert.Parameters.AddWithValue(caller.TenantId);
                insert.Parameters.AddWithValue(id);
                AddFields(insert, slo);
                insert.Parameters.AddWithValue(caller.UserId);
                insert.Parameters.AddWithValue(time.GetUtcNow());
                await insert.ExecuteNonQueryAsync(ct);
            }
            var created = (await ReadAsync(connection, transaction, caller.TenantId, id, false, ct)).Single();
            await AuditLog.AppendAsync(connection, transaction, new AuditEntry(caller.TenantId, Actor.User(caller.UserId), "slo.create", "slo", id.ToString(),
                new { before = (object?)null, after = created.Spec.Body }, clientAddress), ct);
            return new SloWrite(SloWriteOutcome.Written, created);
        }, ct);

    public Task<SloWrite> ReplaceAsync(Caller caller, Guid id, ValidSlo slo, string? clientAddress, CancellationToken ct) =>
        database.ForTenantAsync(caller.TenantId, async (connection, transaction) =>
        {
            if ((await ReadAsync(connection, transaction, caller.TenantId, id, true, ct)).SingleOrDefault() is not { } before) return new SloWrite(SloWriteOutcome.NotFound);
            if (await NameTakenAsync(connection, transaction, caller.TenantId, slo.Name, id, ct)) return new SloWrite(SloWriteOutcome.NameTaken);
            await using (var update = new NpgsqlCommand("""
                UPDATE slos SET name = $3, filters = $4::jsonb, sli_type = $5, threshold_ms = $6, objective = $7, window_days = $8, per_consumer_top = $9, updated_at = $10
                WHERE tenant_id = $1 AND id = $2
                """, connection, transaction))
            {
                update.Parameters.AddWithValue(caller.TenantId);
                update.Parameters.AddWithValue(id);
                AddFields(update, slo);
                update.Parameters.AddWithValue(time.GetUtcNow());
                await update.ExecuteNonQueryAsync(ct);
            }
            var after = (await ReadAsync(connection, transaction, caller.TenantId, id, false, ct)).Single();
            await AuditLog.AppendAsync(connection, transaction, new AuditEntry(caller.TenantId, Actor.User(caller.UserId), "slo.update", "slo", id.ToString(),
                new { before = before.Spec.Body, after = after.Spec.Body }, clientAddress), ct);
            return new SloWrite(SloWriteOutcome.Written, after);
        }, ct);

    /// <summary>
    /// Deletes an SLO no burn-rate rule names. The SLO is locked first, so a rule naming it at the same moment either
    /// commits first and is found here, or waits and then fails on migration 0033's trigger.
    /// </summary>
    public Task<SloWrite> DeleteAsync(Caller caller, Guid id, string? clientAddress, CancellationToken ct) =>
        database.ForTenantAsync(caller.TenantId, async (connection, transaction) =>
        {
            if ((await ReadAsync(connection, transaction, caller.TenantId, id, true, ct)).SingleOrDefault() is not { } before) return new SloWrite(SloWriteOutcome.NotFound);
            var usedBy = await AlertRuleStore.NamingAsync(connection, transaction, caller.TenantId, "definition -> 'condition' ->> 'sloId'", id.ToString(), ct);
            if (usedBy.Count > 0) return new SloWrite(SloWriteOutcome.InUse, before, usedBy);
            await using (var delete = new NpgsqlCommand("DELETE FROM slos WHERE tenant_id = $1 AND id = $2", connection, transaction))
            {
                delete.Parameters.AddWithValue(caller.TenantId);
                delete.Parameters.AddWithValue(id);
                await delete.ExecuteNonQueryAsync(ct);
            }
            await AuditLog.AppendAsync(connection, transaction, new AuditEntry(caller.TenantId, Actor.User(caller.UserId), "slo.delete", "slo", id.ToString(),
                new { before = before.Spec.Body, after = (object?)null }, clientAddress), ct);
            return new SloWrite(SloWriteOutcome.Written);
        }, ct);

    // Parameters $3..$9, in the order the INSERT and UPDATE name them.
    private static void AddFields(NpgsqlCommand command, ValidSlo slo)
    {
        command.Parameters.AddWithValue(slo.Name);
        command.Parameters.AddWithValue(JsonSerializer.Serialize(slo.Body.Filters, Json.Options));
        command.Parameters.AddWithValue(slo.Sli);
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)slo.ThresholdMs ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Double });
        command.Parameters.AddWithValue(slo.Objective);
        command.Parameters.AddWithValue(slo.WindowDays);
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)slo.PerConsumerTop ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Integer });
    }

    private static async Task<bool> NameTakenAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, string name, Guid? except, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(
            "SELECT EXISTS (SELECT 1 FROM slos WHERE tenant_id = $1 AND lower(name) = lower($2) AND id IS DISTINCT FROM $3)", connection, transaction);
        command.Parameters.AddWithValue(tenantId);
        command.Parameters.AddWithValue(name);
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)except ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Uuid });
        return (bool)(await command.ExecuteScalarAsync(ct))!;
    }

    private static async Task<List<Slo>> ReadAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, Guid? id, bool forUpdate, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand($"""
            SELECT s.id, s.name, s.filters::text, s.sli_type, s.threshold_ms, s.objective, s.window_days, s.per_consumer_top,
                   s.created_by, c.email, s.created_at, s.updated_at
            FROM slos s LEFT JOIN users c ON c.tenant_id = s.tenant_id AND c.id = s.created_by
            WHERE s.tenant_id = $1 AND ($2::uuid IS NULL OR s.id = $2) ORDER BY lower(s.name), s.id{(forUpdate ? " FOR UPDATE OF s" : "")}
            """, connection, transaction);
        command.Parameters.AddWithValue(tenantId);
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)id ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Uuid });
        var slos = new List<Slo>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var f = JsonSerializer.Deserialize<SloFiltersBody>(reader.GetString(2), Json.Options)!;
            var spec = new ValidSlo(reader.GetString(1), new RollupFilter(f.Route, f.Method, f.ConsumerId, f.Environment), reader.GetString(3),
                reader.IsDBNull(4) ? null : reader.GetDouble(4), reader.GetDouble(5), reader.GetInt32(6), reader.IsDBNull(7) ? null : reader.GetInt32(7));
            slos.Add(new Slo(reader.GetGuid(0), spec, AlertQueries.ActorOf(reader, 8), reader.GetFieldValue<DateTimeOffset>(10), reader.GetFieldValue<DateTimeOffset>(11)));
        }
        return slos;
    }
}
