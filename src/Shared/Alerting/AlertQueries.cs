using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Npgsql;
using NpgsqlTypes;
using PulseStream.Http;
using PulseStream.Identity;
using PulseStream.Storage;

namespace PulseStream.Alerting;

/// <summary>Reads a tenant's alerts for the API and the dashboard.</summary>
public sealed class AlertQueries(Database database)
{
    private static readonly string[] States = ["pending", "firing", "acknowledged", "resolved"];

    public async Task<IActionResult> ListAsync(Caller caller, HttpRequest request, CancellationToken ct)
    {
        var state = request.Query["state"].FirstOrDefault();
        if (state is not null && !States.Contains(state))
            return ApiResults.BadRequest("invalid-state", "state must be pending, firing, acknowledged or resolved.");
        var items = await database.ForTenantAsync(caller.TenantId, (c, t) => ListAsync(c, t, caller.TenantId, state, 200, ct), ct);
        return ApiResults.Ok(new { items });
    }

    internal static async Task<AlertView?> FindAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, Guid alertId, CancellationToken ct) =>
        (await ListAsync(connection, transaction, tenantId, null, 1, ct, alertId)).SingleOrDefault();

    internal static async Task<List<AlertView>> ListAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, string? state, int limit,
        CancellationToken ct, Guid? alertId = null)
    {
        await using var command = new NpgsqlCommand("""
            SELECT a.id, a.rule_id, r.name, a.state, a.severity, a.started_at, a.value, a.group_key
            FROM alerts a JOIN alert_rules r ON r.tenant_id = a.tenant_id AND r.id = a.rule_id
            WHERE a.tenant_id = $1 AND ($2::text IS NULL OR a.state = $2) AND ($4::uuid IS NULL OR a.id = $4)
            ORDER BY a.started_at DESC LIMIT $3
            """, connection, transaction);
        command.Parameters.AddWithValue(tenantId);
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)state ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.AddWithValue(limit);
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)alertId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Uuid });
        var alerts = new List<AlertView>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            alerts.Add(new AlertView(reader.GetGuid(0), reader.GetGuid(1), reader.GetString(2), reader.GetString(3), reader.GetString(4),
                reader.GetFieldValue<DateTimeOffset>(5), reader.IsDBNull(6) ? null : reader.GetDouble(6), reader.GetString(7)));
        return alerts;
    }
}
