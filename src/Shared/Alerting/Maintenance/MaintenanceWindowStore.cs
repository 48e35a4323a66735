using System.Text.Json;
using NodaTime;
using Npgsql;
using NpgsqlTypes;
using PulseStream.Alerting.Routing;
using PulseStream.Http;
using PulseStream.Identity;
using PulseStream.Storage;

namespace PulseStream.Alerting.Maintenance;

/// <summary>What a window write did.</summary>
public enum MaintenanceWriteOutcome { Written, NotFound, NameTaken, Limit }

/// <summary>A window write's result: the window as stored when written, else why not.</summary>
public sealed record MaintenanceWrite(MaintenanceWriteOutcome Outcome, MaintenanceWindow? Window = null);

/// <summary>
/// A tenant's maintenance windows in Postgres (table <c>maintenance_windows</c>, row-level security by tenant). Every
/// change is audited in its own transaction with the window before and after.
/// </summary>
public sealed class MaintenanceWindowStore(Database database, TimeProvider time)
{
    /// <summary>At most this many windows per tenant.</summary>
    public const int MaxPerTenant = 200;

    private const string Columns = """
        w.id, w.name, w.rrule, w.start_local, w.duration, w.time_zone, w.exceptions, w.matchers::text, w.summary_at_end,
        w.created_by, c.email, w.created_at, w.updated_at
        FROM maintenance_windows w
        LEFT JOIN users c ON c.tenant_id = w.tenant_id AND c.id = w.created_by
        """;

    /// <summary>The tenant's windows, by name.</summary>
    public Task<List<MaintenanceWindow>> ListAsync(Guid tenantId, CancellationToken ct) =>
        database.ForTenantAsync(tenantId, (connection, transaction) => ReadAsync(connection, transaction, tenantId, null, forUpdate: false, ct), ct);

    /// <summary>One window of the tenant, or null.</summary>
    public async Task<MaintenanceWindow?> FindAsync(Guid tenantId, Guid id, CancellationToken ct) =>
        (await database.ForTenantAsync(tenantId, (connection, transaction) => ReadAsync(connection, transaction, tenantId, id, forUpdate: false, ct), ct)).SingleOrDefault();

    /// <summary>
    /// Every window of the tenant with its schedule and matchers, for deciding who an alert notifies (read in the
    /// caller's transaction). A row that no longer validates is skipped: it mutes nothing.
    /// </summary>
    internal static async Task<List<(MaintenanceWindow Window, ValidMaintenanceWindow Valid)>> CompiledAsync(NpgsqlConnection connection, NpgsqlTransaction transaction,
        Guid tenantId, CancellationToken ct)
    {
        var compiled = new List<(MaintenanceWindow, ValidMaintenanceWindow)>();
        foreach (var window in await ReadAsync(connection, transaction, tenantId, null, forUpdate: false, ct))
            if (window.Compile() is { } valid) compiled.Add((window, valid));
        return compiled;
    }

    /// <summary>
    /// Creates a window unless the tenant has <see cref="MaxPerTenant"/> or the name is taken. Creates of one tenant
    /// are serialised by a transaction-scoped advisory lock taken before counting (as silences' are), so two at once
    /// cannot both see room for one more.
    /// </summary>
    public Task<MaintenanceWrite> CreateAsync(Caller caller, ValidMaintenanceWindow window, string? clientAddress, CancellationToken ct) =>
        database.ForTenantAsync(caller.TenantId, async (connection, transaction) =>
        {
            if (!await TenantCreateLimit.HasRoomAsync(connection, transaction, "maintenance_windows", caller.TenantId, MaxPerTenant, ct)) return new MaintenanceWrite(MaintenanceWriteOutcome.Limit);
            if (await NameTakenAsync(connection, transaction, caller.TenantId, window.Name, null, ct)) return new MaintenanceWrite(MaintenanceWriteOutcome.NameTaken);
            var id = Guid.CreateVersion7();
            var now = time.GetUtcNow();
            await using (var insert = new NpgsqlCommand("""
                INSERT INTO maintenance_windows (tenant_id, id, name, rrule, start_local, duration, time_zone, exceptions, matchers, summary_at_end,
                                                 created_by, created_at, updated_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10, $11, $12, $12)
                """, connection, transaction))
            {
                insert.Parameters.AddWithValue(caller.TenantId);
                insert.Parameters.AddWithValue(id);
                AddFields(insert, window);
                insert.Parameters.AddWithValue(caller.UserId);
                insert.Parameters.AddWithValue(now);
                await insert.ExecuteNonQueryAsync(ct);
            }
            // Read back, so the answer carries the times as stored (microseconds), as every later read does.
            var created = (await ReadAsync(connection, transaction, caller.TenantId, id, forUpdate: false, ct)).Single();
            await AuditLog.AppendAsync(connection, transaction, new AuditEntry(caller.TenantId, Actor.User(caller.UserId), "maintenance_window.create",
                "maintenance_window", id.ToString(), new { before = (object?)null, after = created.Body }, clientAddress), ct);
            return new MaintenanceWrite(MaintenanceWriteOutcome.Written, created);
        }, ct);

    /// <summary>Replaces a window's whole body (its author and creation time stay); the row is locked first, so the audited "before" is the one replaced.</summary>
    public Task<MaintenanceWrite> ReplaceAsync(Caller caller, Guid id, ValidMaintenanceWindow window, string? clientAddress, CancellationToken ct) =>
        database.ForTenantAsync(caller.TenantId, async (connection, transaction) =>
        {
            if ((await ReadAsync(connection, transaction, caller.TenantId, id, forUpdate: true, ct)).SingleOrDefault() is not { } before)
                return new MaintenanceWrite(MaintenanceWriteOutcome.NotFound);
            if (await NameTakenAsync(connection, transaction, caller.TenantId, window.Name, id, ct)) return new MaintenanceWrite(MaintenanceWriteOutcome.NameTaken);
            await using (var update = new NpgsqlCommand("""
                UPDATE maintenance_windows SET name = $3, rrule = $4, start_local = $5, duration = $6, time_zone = $7, exceptions = $8, matchers = $9::jsonb,
                       summary_at_end = $10, updated_at = $11
                WHERE tenant_id = $1 AND id = $2
                """, connection, transaction))
            {
                update.Parameters.AddWithValue(caller.TenantId);
                update.Parameters.AddWithValue(id);
                AddFields(update, window);
                update.Parameters.AddWithValue(time.GetUtcNow());
                await update.ExecuteNonQueryAsync(ct);
            }
            var after = (await ReadAsync(connection, transaction, caller.TenantId, id, forUpdate: false, ct)).Single();
            await AuditLog.AppendAsync(connection, transaction, new AuditEntry(caller.TenantId, Actor.User(caller.UserId), "maintenance_window.update",
                "maintenance_window", id.ToString(), new { before = before.Body, after = after.Body }, clientAddress), ct);
            return new MaintenanceWrite(MaintenanceWriteOutcome.Written, after);
        }, ct);

    /// <summary>Deletes a window; false when the tenant has none by this id.</summary>
    public Task<bool> DeleteAsync(Caller caller, Guid id, string? clientAddress, CancellationToken ct) =>
        database.ForTenantAsync(caller.TenantId, async (connection, transaction) =>
        {
            if ((await ReadAsync(connection, transaction, caller.TenantId, id, forUpdate: true, ct)).SingleOrDefault() is not { } before) return false;
            await using (var delete = new NpgsqlCommand("DELETE FROM maintenance_windows WHERE tenant_id = $1 AND id = $2", connection, transaction))
            {
                delete.Parameters.AddWithValue(caller.TenantId);
                delete.Parameters.AddWithValue(id);
                await delete.ExecuteNonQueryAsync(ct);
            }
            await AuditLog.AppendAsync(connection, transaction, new AuditEntry(caller.TenantId, Actor.User(caller.UserId), "maintenance_window.delete",
                "maintenance_window", id.ToString(), new { before = before.Body, after = (object?)null }, clientAddress), ct);
            return true;
        }, ct);

    // Parameters $3..$10, in the order the INSERT and UPDATE above name them.
    private static void AddFields(NpgsqlCommand command, ValidMaintenanceWindow window)
    {
        command.Parameters.AddWithValue(window.Name);
        command.Parameters.AddWithValue(window.Rrule);
        command.Parameters.Add(new NpgsqlParameter { Value = window.Start.ToDateTimeUnspecified(), NpgsqlDbType = NpgsqlDbType.Timestamp });
        command.Parameters.Add(new NpgsqlParameter { Value = window.Duration, NpgsqlDbType = NpgsqlDbType.Interval });
        command.Parameters.AddWithValue(window.TimeZone);
        command.Parameters.Add(new NpgsqlParameter
        {
            Value = window.Exceptions.Select(e => e.ToDateTimeUnspecified()).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Timestamp,
        });
        command.Parameters.AddWithValue(JsonSerializer.Serialize(window.Matchers.Bodies, Json.Options));
        command.Parameters.AddWithValue(window.SummaryAtEnd);
    }

    private static async Task<bool> NameTakenAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, string name, Guid? except, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(
            "SELECT EXISTS (SELECT 1 FROM maintenance_windows WHERE tenant_id = $1 AND lower(name) = lower($2) AND id IS DISTINCT FROM $3)", connection, transaction);
        command.Parameters.AddWithValue(tenantId);
        command.Parameters.AddWithValue(name);
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)except ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Uuid });
        return (bool)(await command.ExecuteScalarAsync(ct))!;
    }

    private static async Task<List<MaintenanceWindow>> ReadAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, Guid? id, bool forUpdate,
        CancellationToken ct)
    {
        await using var command = new NpgsqlCommand($"""
            SELECT {Columns}
            WHERE w.tenant_id = $1 AND ($2::uuid IS NULL OR w.id = $2) ORDER BY lower(w.name), w.id{(forUpdate ? " FOR UPDATE OF w" : "")}
            """, connection, transaction);
        command.Parameters.AddWithValue(tenantId);
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)id ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Uuid });
        var windows = new List<MaintenanceWindow>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            windows.Add(new MaintenanceWindow(reader.GetGuid(0), reader.GetString(1), reader.GetString(2),
                MaintenanceWindowValidator.Format(LocalDateTime.FromDateTime(reader.GetDateTime(3))),
                MaintenanceWindowValidator.Format(reader.GetFieldValue<TimeSpan>(4)), reader.GetString(5),
                reader.GetFieldValue<DateTime[]>(6).Select(e => MaintenanceWindowValidator.Format(LocalDateTime.FromDateTime(e))).ToList(),
                JsonSerializer.Deserialize<List<AlertMatcherBody>>(reader.GetString(7), Json.Options)!, reader.GetBoolean(8),
                AlertQueries.ActorOf(reader, 9)!, reader.GetFieldValue<DateTimeOffset>(11), reader.GetFieldValue<DateTimeOffset>(12)));
        return windows;
    }
}
