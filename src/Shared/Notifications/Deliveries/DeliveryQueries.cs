using System.Globalization;
using System.Text;
using System.Text.Json.Serialization;
using Npgsql;
using NpgsqlTypes;

namespace PulseStream.Notifications.Deliveries;

/// <summary>
/// One delivery as the deliveries API shows it (every field, null included). <see cref="NextAttemptAt"/> is set only
/// while it is pending; <see cref="LastError"/> says why the last attempt failed, or why it is dead or superseded
/// without one (the tenant's pending limit, its alert's resolution delivered first). A delivery goes to a channel
/// (<see cref="ChannelId"/>) or, an escalation step's e-mail, to a member of the tenant (<see cref="MemberId"/>, the
/// user id: the deliveries list is a Viewer's and the members list an Admin's, so the address is not shown); the other is null.
/// A maintenance window's summary (<c>maintenance.summary</c>) is about no one alert: its <see cref="AlertId"/> is null.
/// </summary>
public sealed record DeliveryView(Guid Id,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] Guid? AlertId,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] Guid? ChannelId,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] Guid? MemberId,
    string EventType, string State, DateTimeOffset CreatedAt,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] DateTimeOffset? DeliveredAt,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] DateTimeOffset? NextAttemptAt,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? LastError,
    IReadOnlyList<DeliveryAttempt> Attempts);

/// <summary>One page of deliveries; <see cref="Next"/> is the cursor of the next page, null on the last.</summary>
public sealed record DeliveryPage(IReadOnlyList<DeliveryView> Items, [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? Next);

/// <summary>Which deliveries to list: by alert, channel and state, newest first, from after a cursor.</summary>
public sealed record DeliveryFilter(Guid? AlertId, Guid? ChannelId, string? State, int Limit, DeliveryCursor? After);

/// <summary>A position in the newest-first listing: the last item's creation time and id, opaque to clients.</summary>
public sealed record DeliveryCursor(DateTimeOffset CreatedAt, Guid Id)
{
    public string Encode() => Convert.ToBase64String(Encoding.UTF8.GetBytes($"{CreatedAt.UtcTicks.ToString(CultureInfo.InvariantCulture)}:{Id}"))
        .TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static DeliveryCursor? Decode(string value)
    {
        try
        {
            var base64 = value.Replace('-', '+').Replace('_', '/');
            var text = Encoding.UTF8.GetString(Convert.FromBase64String(base64.PadRight(base64.Length + (4 - base64.Length % 4) % 4, '=')));
            var parts = text.Split(':');
            return parts.Length == 2 && long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var ticks)
                && ticks <= DateTimeOffset.MaxValue.UtcTicks && Guid.TryParse(parts[1], out var id)
                ? new DeliveryCursor(new DateTimeOffset(ticks, TimeSpan.Zero), id)
                : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }
}

/// <summary>Reads a tenant's deliveries with their attempts (inside the tenant's transaction).</summary>
public static class DeliveryQueries
{
    public static readonly string[] States = ["pending", "delivered", "dead", "superseded"];

    public static async Task<List<DeliveryView>> ListAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, DeliveryFilter filter,
        CancellationToken ct, Guid? deliveryId = null)
    {
        await using var command = new NpgsqlCommand("""
            SELECT id, alert_id, channel_id, event_type, status, created_at, delivered_at, next_attempt_at, last_error, member_id FROM notification_outbox
            WHERE tenant_id = $1 AND ($2::uuid IS NULL OR alert_id = $2 OR alert_ids @> ARRAY[$2::uuid]) AND ($3::uuid IS NULL OR channel_id = $3) AND ($4::text IS NULL OR status = $4)
              AND ($5::timestamptz IS NULL OR (created_at, id) < ($5, $6)) AND ($8::uuid IS NULL OR id = $8)
            ORDER BY created_at DESC, id DESC LIMIT $7
            """, connection, transaction);
        command.Parameters.AddWithValue(tenantId);
        command.Parameters.Add(Nullable(filter.AlertId, NpgsqlDbType.Uuid));
        command.Parameters.Add(Nullable(filter.ChannelId, NpgsqlDbType.Uuid));
        command.Parameters.Add(Nullable(filter.State, NpgsqlDbType.Text));
        command.Parameters.Add(Nullable(filter.After?.CreatedAt, NpgsqlDbType.TimestampTz));
        command.Parameters.Add(Nullable(filter.After?.Id, NpgsqlDbType.Uuid));
        command.Parameters.AddWithValue(filter.Limit);
        command.Parameters.Add(Nullable(deliveryId, NpgsqlDbType.Uuid));
        var rows = new List<(Guid Id, Guid? AlertId, Guid? ChannelId, Guid? MemberId, string EventType, string State, DateTimeOffset CreatedAt, DateTimeOffset? DeliveredAt, DateTimeOffset NextAttemptAt,
            string? LastError)>();
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
                rows.Add((reader.GetGuid(0), reader.IsDBNull(1) ? null : reader.GetGuid(1), reader.IsDBNull(2) ? null : reader.GetGuid(2), reader.IsDBNull(9) ? null : reader.GetGuid(9), reader.GetString(3), reader.GetString(4), reader.GetFieldValue<DateTimeOffset>(5),
                    reader.IsDBNull(6) ? null : reader.GetFieldValue<DateTimeOffset>(6), reader.GetFieldValue<DateTimeOffset>(7),
                    reader.IsDBNull(8) ? null : reader.GetString(8)));
        }
        var attempts = await DeliveryAttemptLog.ReadAsync(connection, transaction, tenantId, rows.Select(r => r.Id).ToArray(), ct);
        return rows.Select(r => new DeliveryView(r.Id, r.AlertId, r.ChannelId, r.MemberId, r.EventType, r.State, r.CreatedAt, r.DeliveredAt,
            r.State == "pending" ? r.NextAttemptAt : null, r.LastError, attempts[r.Id])).ToList();
    }

    private static NpgsqlParameter Nullable(object? value, NpgsqlDbType type) => new() { Value = value ?? DBNull.Value, NpgsqlDbType = type };
}
