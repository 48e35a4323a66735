using System.Text.Json;
using Npgsql;
using PulseStream.Storage;

namespace PulseStream.Notifications;

/// <summary>A delivery claimed from the outbox for sending.</summary>
public sealed record OutboxDelivery(Guid TenantId, Guid Id, Guid ChannelId, string EventType, JsonElement Alert, int Attempts,
    string ChannelType, string Target, string? SecretProtected);

/// <summary>
/// The notification outbox (DESIGN.md §4.8). Enqueued in the transaction that changes the alert; claimed by the
/// dispatcher with a lease (so a crashed dispatcher's claims come back), then marked delivered, retried with
/// exponential backoff and jitter, or dead after <see cref="MaxAttempts"/>.
/// </summary>
public static class NotificationOutbox
{
    public const int MaxAttempts = 8;
    public static readonly TimeSpan Lease = TimeSpan.FromMinutes(2);

    public static async Task EnqueueAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, IReadOnlyList<Guid> channelIds,
        Guid alertId, string eventType, JsonElement alert, DateTimeOffset now, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("""
            INSERT INTO notification_outbox (tenant_id, id, channel_id, alert_id, event_type, payload, status, next_attempt_at)
            SELECT $1, gen_random_uuid(), c.id, $3, $4, $5::jsonb, 'pending', $6
            FROM channels c WHERE c.tenant_id = $1 AND c.id = ANY($2)
            """, connection, transaction);
        command.Parameters.AddWithValue(tenantId);
        command.Parameters.AddWithValue(channelIds.ToArray());
        command.Parameters.AddWithValue(alertId);
        command.Parameters.AddWithValue(eventType);
        command.Parameters.AddWithValue(alert.GetRawText());
        command.Parameters.AddWithValue(now);
        await command.ExecuteNonQueryAsync(ct);
    }

    public static async Task<List<OutboxDelivery>> ClaimDueAsync(Database database, DateTimeOffset now, int max, TimeSpan lease, CancellationToken ct)
    {
        // Across tenants: a narrow SECURITY DEFINER function claims due rows with a lease.
        await using var command = database.DataSource.CreateCommand("SELECT * FROM claim_due_notifications($1, $2, $3)");
        command.Parameters.AddWithValue(now);
        command.Parameters.AddWithValue(max);
        command.Parameters.AddWithValue(lease);
        var claimed = new List<OutboxDelivery>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            using var alert = JsonDocument.Parse(reader.GetString(4));
            claimed.Add(new OutboxDelivery(reader.GetGuid(0), reader.GetGuid(1), reader.GetGuid(2), reader.GetString(3), alert.RootElement.Clone(),
                reader.GetInt32(5), reader.GetString(6), reader.GetString(7), reader.IsDBNull(8) ? null : reader.GetString(8)));
        }
        return claimed;
    }

    public static Task MarkDeliveredAsync(Database database, OutboxDelivery delivery, DateTimeOffset now, CancellationToken ct) =>
        database.ForTenantAsync(delivery.TenantId, async (connection, transaction) =>
        {
            await using var command = new NpgsqlCommand(
                "UPDATE notification_outbox SET status = 'delivered', delivered_at = $3, attempts = attempts + 1, last_error = NULL WHERE tenant_id = $1 AND id = $2",
                connection, transaction);
            command.Parameters.AddWithValue(delivery.TenantId);
            command.Parameters.AddWithValue(delivery.Id);
            command.Parameters.AddWithValue(now);
            await command.ExecuteNonQueryAsync(ct);
        }, ct);

    public static Task MarkFailedAsync(Database database, OutboxDelivery delivery, string error, DateTimeOffset now, CancellationToken ct) =>
        database.ForTenantAsync(delivery.TenantId, async (connection, transaction) =>
    {
        var attempts = delivery.Attempts + 1;
        var dead = attempts >= MaxAttempts;
        await using var command = new NpgsqlCommand("""
            UPDATE notification_outbox SET attempts = $3, last_error = $4, status = CASE WHEN $5 THEN 'dead' ELSE 'pending' END,
                next_attempt_at = $6
            WHERE tenant_id = $1 AND id = $2
            """, connection, transaction);
        command.Parameters.AddWithValue(delivery.TenantId);
        command.Parameters.AddWithValue(delivery.Id);
        command.Parameters.AddWithValue(attempts);
        command.Parameters.AddWithValue(error.Length > 1000 ? error[..1000] : error);
        command.Parameters.AddWithValue(dead);
        command.Parameters.AddWithValue(now + Backoff(attempts));
        await command.ExecuteNonQueryAsync(ct);
    }, ct);

    /// <summary>Exponential backoff from 5 s, capped at 15 minutes, with full jitter on the upper half.</summary>
    public static TimeSpan Backoff(int attempts)
    {
        var baseSeconds = Math.Min(5 * Math.Pow(2, attempts - 1), 900);
        return TimeSpan.FromSeconds(baseSeconds / 2 + Random.Shared.NextDouble() * baseSeconds / 2);
    }
}
