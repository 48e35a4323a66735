using System.Text.Json;
using Npgsql;
using PulseStream.Notifications;

namespace PulseStream.Alerting.Escalation;

/// <summary>A channel a step names: its name (null when it no longer exists) and whether the step enqueued a delivery to it.</summary>
internal sealed record StepChannel(Guid Id, string? Name, bool Enqueued);

/// <summary>A member a step names: the address to e-mail, read when the step runs (null once they left the tenant or have not joined).</summary>
internal sealed record StepMember(Guid Id, string? Email);

/// <summary>What one step of a run sends: outbox deliveries to its channels and e-mails to its members, in the step's transaction.</summary>
internal static class EscalationDeliveries
{
    /// <summary>
    /// Enqueues an <c>alert.firing</c> delivery to each of the step's enabled channels, as the outbox's own enqueue
    /// does (dead at once past the tenant's pending limit), with an id derived from the alert, <paramref name="position"/>
    /// (run, cycle, step) and the channel: a second attempt at the same step inserts nothing. Every named channel is
    /// answered, in the step's order, with whether it got a delivery.
    /// </summary>
    public static async Task<List<StepChannel>> EnqueueAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, Guid alertId,
        string position, IReadOnlyList<Guid> channelIds, JsonElement alert, DateTimeOffset now, CancellationToken ct)
    {
        if (channelIds.Count == 0) return [];
        var names = new Dictionary<Guid, (string Name, bool Disabled)>();
        await using (var read = new NpgsqlCommand("SELECT id, name, disabled_at IS NOT NULL FROM channels WHERE tenant_id = $1 AND id = ANY($2)", connection, transaction))
        {
            read.Parameters.AddWithValue(tenantId);
            read.Parameters.AddWithValue(channelIds.ToArray());
            await using var reader = await read.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct)) names[reader.GetGuid(0)] = (reader.GetString(1), reader.GetBoolean(2));
        }
        var enabled = channelIds.Where(id => names.TryGetValue(id, out var c) && !c.Disabled).ToArray();
        if (enabled.Length > 0)
        {
            await using var insert = new NpgsqlCommand("""
                WITH waiting AS (
                    SELECT count(*) >= $6 AS at_limit FROM (SELECT 1 FROM notification_outbox w WHERE w.tenant_id = $1 AND w.status = 'pending' LIMIT $6) w)
                INSERT INTO notification_outbox (tenant_id, id, channel_id, alert_id, event_type, payload, status, next_attempt_at, created_at, last_error)
                SELECT $1, md5('escalation:' || $3::text || ':' || $8 || ':' || c.id::text)::uuid, c.id, $3, 'alert.firing', $4::jsonb,
                       CASE WHEN waiting.at_limit THEN 'dead' ELSE 'pending' END, $5, $5, CASE WHEN waiting.at_limit THEN $7 END
                FROM channels c CROSS JOIN waiting WHERE c.tenant_id = $1 AND c.id = ANY($2)
                ON CONFLICT (tenant_id, id) DO NOTHING
                """, connection, transaction);
            insert.Parameters.AddWithValue(tenantId);
            insert.Parameters.AddWithValue(enabled);
            insert.Parameters.AddWithValue(alertId);
            insert.Parameters.AddWithValue(alert.GetRawText());
            insert.Parameters.AddWithValue(now);
            insert.Parameters.AddWithValue(NotificationOutbox.MaxPendingPerTenant);
            insert.Parameters.AddWithValue(NotificationOutbox.PendingLimitError);
            insert.Parameters.AddWithValue(position);
            await insert.ExecuteNonQueryAsync(ct);
        }
        return channelIds.Select(id => names.TryGetValue(id, out var c) ? new StepChannel(id, c.Name, !c.Disabled) : new StepChannel(id, null, false)).ToList();
    }

    /// <summary>
    /// Enqueues an e-mail to each present member of the step (those with an address), as outbox deliveries with ids
    /// derived from the alert, <paramref name="position"/> and the member, as the channels' are: retried, dead-lettered
    /// and listed with them. The member is looked up again when it is sent.
    /// </summary>
    public static Task EnqueueMembersAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, Guid alertId, string position,
        IReadOnlyList<StepMember> members, JsonElement alert, DateTimeOffset now, CancellationToken ct) =>
        NotificationOutbox.EnqueueToMembersAsync(connection, transaction, tenantId, members.Where(m => m.Email is not null).Select(m => m.Id).Distinct().ToList(),
            member => MemberDeliveryId(alertId, position, member), alertId, "alert.firing", alert, now, ct);

    /// <summary>The id of a step's e-mail to a member: the same for the same alert, position (run, cycle, step) and member.</summary>
    internal static Guid MemberDeliveryId(Guid alertId, string position, Guid memberId) =>
        new(System.Security.Cryptography.MD5.HashData(System.Text.Encoding.UTF8.GetBytes($"escalation:{alertId}:{position}:member:{memberId}")));

    /// <summary>The step's members in its order, each with their address if they are an active member of the tenant now.</summary>
    public static async Task<List<StepMember>> MembersAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, IReadOnlyList<Guid> userIds,
        CancellationToken ct)
    {
        if (userIds.Count == 0) return [];
        var emails = new Dictionary<Guid, string>();
        await using var command = new NpgsqlCommand("SELECT id, email FROM users WHERE tenant_id = $1 AND id = ANY($2) AND status = 'active'", connection, transaction);
        command.Parameters.AddWithValue(tenantId);
        command.Parameters.AddWithValue(userIds.ToArray());
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) emails[reader.GetGuid(0)] = reader.GetString(1);
        return userIds.Select(id => new StepMember(id, emails.GetValueOrDefault(id))).ToList();
    }
}
