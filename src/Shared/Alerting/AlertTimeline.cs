using System.Text.Json.Serialization;
using Npgsql;
using System.Text.Json;
using System.Text.Json.Nodes;
using PulseStream.Http;

namespace PulseStream.Alerting;

/// <summary>
/// One entry of an alert's timeline. <c>kind</c> is <c>transition</c> (evaluation moved it), <c>ack</c>,
/// <c>resolve</c> (a person), <c>rule</c> (its rule was disabled or deleted), <c>muted</c> (a silence or maintenance
/// window held its notification, or a silence made to end with it expired), <c>unmuted</c> (the muting ended while it
/// fired: notified then) or <c>notification</c> (a delivery from the outbox, with its id, channel or member, and state). Fields that do not apply to a kind are null.
/// </summary>
public sealed record AlertTimelineEntry(DateTimeOffset At, string Kind,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? State,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] double? Value,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] AlertActor? Actor,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? Message,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] Guid? DeliveryId,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] Guid? ChannelId,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? DeliveryState,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] Guid? MemberId = null);

/// <summary>Reads and writes alert timelines: the entries written with each change, and the alert's deliveries.</summary>
public static class AlertTimeline
{
    /// <summary>How many entries a timeline answers at most (an alert has a handful of transitions and a delivery per channel and event).</summary>
    public const int MaxEntries = 1000;

    /// <summary>An alert with its timeline, as <c>GET /api/v1/alerts/{id}</c> answers: the alert's fields and <c>timeline</c>.</summary>
    public static JsonObject Detail(AlertView alert, IReadOnlyList<AlertTimelineEntry> timeline)
    {
        var detail = JsonSerializer.SerializeToNode(alert, Json.Options)!.AsObject();
        detail["timeline"] = JsonSerializer.SerializeToNode(timeline, Json.Options);
        return detail;
    }

    public static async Task AppendAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, Guid alertId, DateTimeOffset at, string kind,
        string? state, double? value, Guid? actorId, string? message, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("""
            INSERT INTO alert_timeline (tenant_id, alert_id, at, kind, state, value, actor_id, message) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
            """, connection, transaction);
        command.Parameters.AddWithValue(tenantId);
        command.Parameters.AddWithValue(alertId);
        command.Parameters.AddWithValue(at);
        command.Parameters.AddWithValue(kind);
        // The column predates kinds and is required: entries that change no state record the alert's state after them.
        command.Parameters.AddWithValue(state ?? "");
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)value ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Double });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)actorId ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Uuid });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)message ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        await command.ExecuteNonQueryAsync(ct);
    }

    /// <summary>The alert's newest <see cref="MaxEntries"/> entries and deliveries, oldest first (entries in the order written when they share a time).</summary>
    public static async Task<List<AlertTimelineEntry>> ReadAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, Guid alertId, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("""
            SELECT at, kind, state, value, actor_id, email, message, delivery_id, channel_id, delivery_state, member_id FROM (SELECT * FROM (
                SELECT t.at, t.kind, nullif(t.state, '') AS state, t.value, t.actor_id, u.email, t.message,
                       NULL::uuid AS delivery_id, NULL::uuid AS channel_id, NULL::text AS delivery_state, NULL::uuid AS member_id, 0 AS source, t.seq
                FROM alert_timeline t LEFT JOIN users u ON u.tenant_id = t.tenant_id AND u.id = t.actor_id
                WHERE t.tenant_id = $1 AND t.alert_id = $2
                UNION ALL
                SELECT o.created_at, 'notification', NULL, NULL, NULL, NULL, o.event_type, o.id, o.channel_id, o.status, o.member_id, 1, NULL
                FROM notification_outbox o WHERE o.tenant_id = $1 AND o.alert_id = $2
            ) entries
            -- A long-lived alert keeps its newest entries (how it ended), shown oldest first.
            ORDER BY at DESC, source DESC, seq DESC, delivery_id DESC
            LIMIT $3) newest
            ORDER BY at, source, seq, delivery_id
            """, connection, transaction);
        command.Parameters.AddWithValue(tenantId);
        command.Parameters.AddWithValue(alertId);
        command.Parameters.AddWithValue(MaxEntries);
        var entries = new List<AlertTimelineEntry>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            entries.Add(new AlertTimelineEntry(reader.GetFieldValue<DateTimeOffset>(0), reader.GetString(1),
                reader.IsDBNull(2) ? null : reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetDouble(3), AlertQueries.ActorOf(reader, 4),
                reader.IsDBNull(6) ? null : reader.GetString(6), reader.IsDBNull(7) ? null : reader.GetGuid(7), reader.IsDBNull(8) ? null : reader.GetGuid(8),
                reader.IsDBNull(9) ? null : reader.GetString(9), reader.IsDBNull(10) ? null : reader.GetGuid(10)));
        return entries;
    }
}
