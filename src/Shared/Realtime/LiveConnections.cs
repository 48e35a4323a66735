using Microsoft.AspNetCore.Mvc;
using Npgsql;
using PulseStream.Http;
using PulseStream.Identity;
using PulseStream.Storage;

namespace PulseStream.Realtime;

/// <summary>One member's open dashboards, for <c>GET /api/v1/dashboard/connections</c>.</summary>
public sealed record ConnectedUser(Guid UserId, string Email, string Role, int Connections, DateTimeOffset Since);

/// <summary>
/// The tenant's open live connections as the SignalR Service's upstream reports them (<see cref="ConnectionUpstream"/>):
/// recorded on <c>connected</c> once the membership check passes, forgotten on <c>disconnected</c>. A close that was
/// never reported stops counting after <see cref="Stale"/>. At most <see cref="MaxPerTenant"/> rows per tenant; a
/// connection beyond that still works, it is just not counted.
/// </summary>
public sealed class LiveConnections(Database database, TimeProvider time)
{
    public const int MaxPerTenant = 1_000;
    public static readonly TimeSpan Stale = TimeSpan.FromHours(24);

    public Task RecordAsync(Guid tenantId, Guid userId, string connectionId, CancellationToken ct) =>
        database.ForTenantAsync(tenantId, async (connection, transaction) =>
        {
            var now = time.GetUtcNow();
            await using (var purge = new NpgsqlCommand("DELETE FROM live_connections WHERE tenant_id = $1 AND connected_at < $2", connection, transaction))
            {
                purge.Parameters.AddWithValue(tenantId);
                purge.Parameters.AddWithValue(now - Stale);
                await purge.ExecuteNonQueryAsync(ct);
            }
            // The user must still exist (the foreign key would refuse a member removed meanwhile), and the tenant be
            // under its bound; either way the connection itself is not refused here.
            await using var insert = new NpgsqlCommand("""
                INSERT INTO live_connections (tenant_id, connection_id, user_id, connected_at)
                SELECT $1, $2, $3, $4
                WHERE EXISTS (SELECT 1 FROM users WHERE tenant_id = $1 AND id = $3)
                  AND (SELECT count(*) FROM live_connections WHERE tenant_id = $1) < $5
                ON CONFLICT (tenant_id, connection_id) DO NOTHING
                """, connection, transaction);
            insert.Parameters.AddWithValue(tenantId);
            insert.Parameters.AddWithValue(connectionId);
            insert.Parameters.AddWithValue(userId);
            insert.Parameters.AddWithValue(now);
            insert.Parameters.AddWithValue(MaxPerTenant);
            return await insert.ExecuteNonQueryAsync(ct);
        }, ct);

    public Task ForgetAsync(Guid tenantId, string connectionId, CancellationToken ct) =>
        database.ForTenantAsync(tenantId, async (connection, transaction) =>
        {
            await using var delete = new NpgsqlCommand("DELETE FROM live_connections WHERE tenant_id = $1 AND connection_id = $2", connection, transaction);
            delete.Parameters.AddWithValue(tenantId);
            delete.Parameters.AddWithValue(connectionId);
            return await delete.ExecuteNonQueryAsync(ct);
        }, ct);

    /// <summary><c>GET /api/v1/dashboard/connections</c> (Admin): how many dashboards are open, and whose.</summary>
    public async Task<IActionResult> ListAsync(Caller caller, CancellationToken ct)
    {
        var users = await database.ForTenantAsync(caller.TenantId, async (connection, transaction) =>
        {
            await using var command = new NpgsqlCommand("""
                SELECT u.id, u.email, u.role, count(*)::int, min(c.connected_at)
                FROM live_connections c JOIN users u ON u.tenant_id = c.tenant_id AND u.id = c.user_id
                WHERE c.tenant_id = $1 AND c.connected_at >= $2
                GROUP BY u.id, u.email, u.role
                ORDER BY count(*) DESC, u.email
                """, connection, transaction);
            command.Parameters.AddWithValue(caller.TenantId);
            command.Parameters.AddWithValue(time.GetUtcNow() - Stale);
            var list = new List<ConnectedUser>();
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
                list.Add(new ConnectedUser(reader.GetGuid(0), reader.GetString(1), reader.GetString(2), reader.GetInt32(3), reader.GetFieldValue<DateTimeOffset>(4)));
            return list;
        }, ct);
        return ApiResults.Ok(new { total = users.Sum(u => u.Connections), users });
    }
}
