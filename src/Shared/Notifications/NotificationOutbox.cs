using System.Text.Json;
using Npgsql;
using NpgsqlTypes;
using PulseStream.Notifications.Deliveries;
using PulseStream.Storage;

namespace PulseStream.Notifications;

/// <summary>
/// A delivery claimed from the outbox: <paramref name="Attempt"/> counts from 1 within its schedule, and
/// <paramref name="ClaimToken"/> is this attempt's claim (renewed while it runs, checked when its outcome is written);
/// <paramref name="Group"/> the listing of a group notification (null for one alert's). A delivery goes to a channel, or
/// (an escalation step's member, migration 0030) to <paramref name="MemberId"/>: its <paramref name="ChannelId"/> is
/// then <see cref="Guid.Empty"/>.
/// A maintenance summary is about no one alert: its <paramref name="AlertId"/> is <see cref="Guid.Empty"/>.
/// </summary>
public sealed record OutboxDelivery(Guid TenantId, Guid Id, Guid ChannelId, Guid AlertId, string EventType, JsonElement Alert, int Attempt, Guid ClaimToken,
    GroupListing? Group = null, Guid? MemberId = null);

/// <summary>What writing an attempt's outcome came to: whether the claim was still ours, and the state it left.</summary>
public sealed record RecordedOutcome(bool ClaimHeld, string State, ChannelDisabled? ChannelDisabled);

/// <summary>
/// The notification outbox (DESIGN.md §4.8), the one queue of every notification. Enqueued in the transaction that
/// changes the alert; claimed by the dispatcher with a token and a lease that it renews while it sends, so a slow
/// receiver never loses its claim and a stopped dispatcher's claims come back after one lease; then marked delivered,
/// retried on <see cref="RetrySchedule"/>, or dead after <see cref="DeliveryOptions.MaxAttempts"/>. An outcome is
/// written only under the claim it was made with, so a dispatcher whose claim was taken over cannot overwrite.
/// </summary>
public static class NotificationOutbox
{
    /// <summary>
    /// The most deliveries one tenant may have pending (docs/API.md, Deliveries). Past it, a new delivery is stored
    /// dead with <see cref="PendingLimitError"/>: visible in the deliveries API, never silently dropped, and never
    /// queued behind a receiver that cannot keep up.
    /// </summary>
    public const int MaxPendingPerTenant = 10_000;

    public static readonly string PendingLimitError = $"Not sent: the tenant already has {MaxPendingPerTenant} deliveries waiting, the most a tenant may have.";

    /// <summary>The error of a delivery that its alert's resolution overtook (see <see cref="RecordAsync"/>).</summary>
    public const string SupersededError = "Superseded: the alert's alert.resolved was delivered to this channel first.";

    /// <summary>
    /// Enqueues one delivery per channel (disabled channels get none); dead at once when the tenant has
    /// <see cref="MaxPendingPerTenant"/> pending already. Concurrent enqueues may pass the limit by a few. A group
    /// notification (<paramref name="alertIds"/>: every alert it lists) has <paramref name="alertId"/> as its lead and
    /// the payload <c>{alert, alerts, group}</c>. Answers how many deliveries were written.
    /// </summary>
    public static async Task<int> EnqueueAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, IReadOnlyList<Guid> channelIds,
        Guid alertId, string eventType, JsonElement alert, DateTimeOffset now, CancellationToken ct, Guid[]? alertIds = null)
    {
        // The count stops at the limit, so a tenant at it costs no more than one at the limit to check.
        await using var command = new NpgsqlCommand("""
            WITH waiting AS (
                SELECT count(*) >= $7 AS at_limit FROM (SELECT 1 FROM notification_outbox w WHERE w.tenant_id = $1 AND w.status = 'pending' LIMIT $7) w)
            INSERT INTO notification_outbox (tenant_id, id, channel_id, alert_id, event_type, payload, status, next_attempt_at, created_at, last_error, alert_ids)
            SELECT $1, gen_random_uuid(), c.id, $3, $4, $5::jsonb, CASE WHEN waiting.at_limit THEN 'dead' ELSE 'pending' END, $6, $6,
                   CASE WHEN waiting.at_limit THEN $8 END, $9
            FROM channels c CROSS JOIN waiting WHERE c.tenant_id = $1 AND c.id = ANY($2) AND c.disabled_at IS NULL
            """, connection, transaction);
        command.Parameters.AddWithValue(tenantId);
        command.Parameters.AddWithValue(channelIds.ToArray());
        command.Parameters.AddWithValue(alertId);
        command.Parameters.AddWithValue(eventType);
        command.Parameters.AddWithValue(alert.GetRawText());
        command.Parameters.AddWithValue(now);
        command.Parameters.AddWithValue(MaxPendingPerTenant);
        command.Parameters.AddWithValue(PendingLimitError);
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)alertIds ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Uuid });
        return await command.ExecuteNonQueryAsync(ct);
    }

    /// <summary>Whether the tenant has <see cref="MaxPendingPerTenant"/> deliveries pending (a replay then waits).</summary>
    public static async Task<bool> AtPendingLimitAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(
            "SELECT count(*) >= $2 FROM (SELECT 1 FROM notification_outbox WHERE tenant_id = $1 AND status = 'pending' LIMIT $2) w", connection, transaction);
        command.Parameters.AddWithValue(tenantId);
        command.Parameters.AddWithValue(MaxPendingPerTenant);
        return (bool)(await command.ExecuteScalarAsync(ct))!;
    }

    /// <summary>
    /// Enqueues one e-mail per member of <paramref name="members"/> (an escalation step's, migration 0030) in the
    /// caller's transaction, under the same pending limit as channel deliveries, with ids made by
    /// <paramref name="idOf"/> so that a step run twice enqueues nothing twice. The member is looked up again when the
    /// e-mail is sent (a member who left meanwhile is not e-mailed).
    /// </summary>
    public static async Task EnqueueToMembersAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, IReadOnlyList<Guid> members,
        Func<Guid, Guid> idOf, Guid alertId, string eventType, JsonElement alert, DateTimeOffset now, CancellationToken ct)
    {
        if (members.Count == 0) return;
        await using var command = new NpgsqlCommand("""
            WITH waiting AS (
                SELECT count(*) >= $8 AS at_limit FROM (SELECT 1 FROM notification_outbox w WHERE w.tenant_id = $1 AND w.status = 'pending' LIMIT $8) w)
            INSERT INTO notification_outbox (tenant_id, id, member_id, alert_id, event_type, payload, status, next_attempt_at, created_at, last_error)
            SELECT $1, m.id, m.member_id, $4, $5, $6::jsonb, CASE WHEN waiting.at_limit THEN 'dead' ELSE 'pending' END, $7, $7,
                   CASE WHEN waiting.at_limit THEN $9 END
            FROM unnest($2::uuid[], $3::uuid[]) AS m(member_id, id) CROSS JOIN waiting
            ON CONFLICT (tenant_id, id) DO NOTHING
            """, connection, transaction);
        command.Parameters.AddWithValue(tenantId);
        command.Parameters.AddWithValue(members.ToArray());
        command.Parameters.AddWithValue(members.Select(idOf).ToArray());
        command.Parameters.AddWithValue(alertId);
        command.Parameters.AddWithValue(eventType);
        command.Parameters.AddWithValue(alert.GetRawText());
        command.Parameters.AddWithValue(now);
        command.Parameters.AddWithValue(MaxPendingPerTenant);
        command.Parameters.AddWithValue(PendingLimitError);
        await command.ExecuteNonQueryAsync(ct);
    }

    /// <summary>
    /// Claims up to <paramref name="max"/> due deliveries, oldest due first across tenants but at most
    /// <see cref="DeliveryOptions.MaxInFlightPerTenant"/> held by one tenant, and one at a time per alert and channel (or member);
    /// opens an attempt for each and keeps each delivery's <see cref="DeliveryAttemptLog.MaxAttemptsKept"/> newest.
    /// </summary>
    public static async Task<List<OutboxDelivery>> ClaimDueAsync(Database database, DateTimeOffset now, int max, DeliveryOptions options, CancellationToken ct)
    {
        // Across tenants: a narrow SECURITY DEFINER function claims due rows.
        await using var command = database.DataSource.CreateCommand("SELECT * FROM claim_due_deliveries($1, $2, $3, $4, $5, $6)");
        command.Parameters.AddWithValue(now);
        command.Parameters.AddWithValue(max);
        command.Parameters.AddWithValue(options.Lease);
        command.Parameters.AddWithValue(options.MaxAttempts);
        command.Parameters.AddWithValue(options.MaxInFlightPerTenant);
        command.Parameters.AddWithValue(DeliveryAttemptLog.MaxAttemptsKept);
        var claimed = new List<OutboxDelivery>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            using var payload = JsonDocument.Parse(reader.GetString(5));
            var (alert, group) = GroupListing.Split(payload.RootElement);
            claimed.Add(new OutboxDelivery(reader.GetGuid(0), reader.GetGuid(1), reader.IsDBNull(2) ? Guid.Empty : reader.GetGuid(2),
                reader.IsDBNull(3) ? Guid.Empty : reader.GetGuid(3),
                reader.GetString(4), alert, reader.GetInt32(6), reader.GetGuid(7), group, reader.IsDBNull(8) ? null : reader.GetGuid(8)));
        }
        return claimed;
    }

    /// <summary>Extends a claim by one lease from <paramref name="now"/>; false when the claim is no longer this attempt's.</summary>
    public static Task<bool> RenewAsync(Database database, OutboxDelivery delivery, DateTimeOffset now, TimeSpan lease, CancellationToken ct) =>
        database.ForTenantAsync(delivery.TenantId, async (connection, transaction) =>
        {
            await using var command = new NpgsqlCommand("""
                UPDATE notification_outbox SET next_attempt_at = $4
                WHERE tenant_id = $1 AND id = $2 AND claim_token = $3 AND status = 'pending'
                """, connection, transaction);
            command.Parameters.AddWithValue(delivery.TenantId);
            command.Parameters.AddWithValue(delivery.Id);
            command.Parameters.AddWithValue(delivery.ClaimToken);
            command.Parameters.AddWithValue(now + lease);
            return await command.ExecuteNonQueryAsync(ct) == 1;
        }, ct);

    /// <summary>
    /// Writes an attempt's outcome under its claim, in one transaction: the delivery's state, the attempt's row and
    /// the channel's health (which may disable the channel). A delivered <c>alert.resolved</c> supersedes what is still
    /// pending of the same alert for the same channel (a firing being retried, say): sent after it, it would tell the
    /// receiver a resolved alert fires again.
    /// </summary>
    public static Task<RecordedOutcome> RecordAsync(Database database, OutboxDelivery delivery, SendOutcome outcome, DateTimeOffset now,
        DeliveryOptions options, CancellationToken ct) =>
        database.ForTenantAsync(delivery.TenantId, async (connection, transaction) =>
        {
            var state = outcome.Delivered ? "delivered" : outcome.Permanent || delivery.Attempt >= options.MaxAttempts ? "dead" : "pending";
            var error = DeliveryAttemptLog.Bounded(outcome.Error);
            await using (var update = new NpgsqlCommand("""
                UPDATE notification_outbox SET status = $4, claim_token = NULL, last_error = $5,
                    delivered_at = CASE WHEN $4 = 'delivered' THEN $6 END, next_attempt_at = $7
                WHERE tenant_id = $1 AND id = $2 AND claim_token = $3 AND status = 'pending'
                """, connection, transaction))
            {
                update.Parameters.AddWithValue(delivery.TenantId);
                update.Parameters.AddWithValue(delivery.Id);
                update.Parameters.AddWithValue(delivery.ClaimToken);
                update.Parameters.AddWithValue(state);
                update.Parameters.Add(new NpgsqlParameter { Value = (object?)error ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
                update.Parameters.AddWithValue(now);
                update.Parameters.AddWithValue(state == "pending" ? now + RetrySchedule.DelayAfter(delivery.Attempt, options, Random.Shared.NextDouble()) : now);
                if (await update.ExecuteNonQueryAsync(ct) == 0) return new RecordedOutcome(false, state, null);
            }
            await DeliveryAttemptLog.CloseAsync(connection, transaction, delivery, outcome, now, ct);
            if (delivery.MemberId is not null) return new RecordedOutcome(true, state, null); // no channel: no channel health
            if (state == "delivered" && delivery.EventType == ResolvedEvent) await SupersedeAsync(connection, transaction, delivery, now, ct);
            var disabled = await ChannelHealth.RecordAsync(connection, transaction, delivery, outcome, now, ct);
            return new RecordedOutcome(true, state, disabled);
        }, ct);

    private const string ResolvedEvent = "alert.resolved";

    private static async Task SupersedeAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, OutboxDelivery resolved, DateTimeOffset now,
        CancellationToken ct)
    {
        // One at a time per alert and channel (claim_due_deliveries), so none of these is being sent; an attempt left
        // open all the same (a lapsed claim) is closed with the reason.
        await using var command = new NpgsqlCommand("""
            WITH superseded AS (
                UPDATE notification_outbox SET status = 'superseded', claim_token = NULL, last_error = $6, next_attempt_at = $5
                WHERE tenant_id = $1 AND alert_id = $2 AND channel_id = $3 AND id <> $4 AND status = 'pending' AND event_type <> 'alert.resolved'
                RETURNING id)
            UPDATE delivery_attempts a SET finished_at = $5, error = $6
            FROM superseded s WHERE a.tenant_id = $1 AND a.delivery_id = s.id AND a.finished_at IS NULL
            """, connection, transaction);
        command.Parameters.AddWithValue(resolved.TenantId);
        command.Parameters.AddWithValue(resolved.AlertId);
        command.Parameters.AddWithValue(resolved.ChannelId);
        command.Parameters.AddWithValue(resolved.Id);
        command.Parameters.AddWithValue(now);
        command.Parameters.AddWithValue(SupersededError);
        await command.ExecuteNonQueryAsync(ct);
    }
}
