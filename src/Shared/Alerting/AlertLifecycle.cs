using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Npgsql;
using PulseStream.Http;
using PulseStream.Identity;
using PulseStream.Realtime;
using PulseStream.Storage;

namespace PulseStream.Alerting;

/// <summary>People acting on alerts: acknowledging a firing alert stops its escalation but not its resolution.</summary>
public sealed class AlertLifecycle(Database database, IRealtimePublisher realtime, TimeProvider time)
{
    public async Task<IActionResult> AcknowledgeAsync(Caller caller, string id, string? clientAddress, CancellationToken ct)
    {
        if (!Guid.TryParse(id, out var alertId)) return ApiResults.NotFound("No such alert.");
        var now = time.GetUtcNow();
        var (found, changed, state) = await database.ForTenantAsync(caller.TenantId, async (connection, transaction) =>
        {
            await using var select = new NpgsqlCommand("SELECT state FROM alerts WHERE tenant_id = $1 AND id = $2 FOR UPDATE", connection, transaction);
            select.Parameters.AddWithValue(caller.TenantId);
            select.Parameters.AddWithValue(alertId);
            if (await select.ExecuteScalarAsync(ct) is not string current) return (false, false, "");
            if (current != "firing") return (true, false, current);
            foreach (var sql in new[]
            {
                "UPDATE alerts SET state = 'acknowledged', acknowledged_at = $3, updated_at = $3 WHERE tenant_id = $1 AND id = $2",
                "INSERT INTO alert_timeline (tenant_id, alert_id, at, state) VALUES ($1, $2, $3, 'acknowledged')",
            })
            {
                await using var update = new NpgsqlCommand(sql, connection, transaction);
                update.Parameters.AddWithValue(caller.TenantId);
                update.Parameters.AddWithValue(alertId);
                update.Parameters.AddWithValue(now);
                await update.ExecuteNonQueryAsync(ct);
            }
            await AuditLog.AppendAsync(connection, transaction, new AuditEntry(caller.TenantId, Actor.User(caller.UserId), "alert.ack", "alert", alertId.ToString(),
                null, clientAddress), ct);
            return (true, true, "acknowledged");
        }, ct);
        if (!found) return ApiResults.NotFound("No such alert.");
        if (!changed)
            return ApiResults.Problem(StatusCodes.Status409Conflict, "invalid-transition", "The alert cannot be acknowledged.", $"Only firing alerts can be acknowledged; this one is {state}.");

        var view = await database.ForTenantAsync(caller.TenantId, (c, t) => AlertQueries.FindAsync(c, t, caller.TenantId, alertId, ct), ct);
        if (view is not null) await realtime.SendToTenantAsync(caller.TenantId, RealtimeTargets.Alert, view, ct);
        return ApiResults.Ok(view!);
    }
}
