using Npgsql;
using NpgsqlTypes;
using PulseStream.Identity;
using PulseStream.Storage;

namespace PulseStream.Notifications.Channels;

/// <summary>
/// The tenant's channels in Postgres (table <c>channels</c>, row-level security by tenant). Targets and signing
/// secrets are stored encrypted (<see cref="SecretProtector"/>); only the masked target is stored in the clear.
/// Every change is audited in its transaction, with the masked body only.
/// </summary>
public sealed class ChannelStore(Database database, SecretProtector secrets, TimeProvider time)
{
    /// <summary>At most this many channels per tenant.</summary>
    public const int MaxChannels = 100;

    /// <summary>How long a rotated-out signing secret still signs.</summary>
    public static readonly TimeSpan RotationOverlap = TimeSpan.FromHours(24);

    private const string Columns = """
        tenant_id, id, type, name, target, target_protected, recipients, secret_protected, previous_secret_protected,
        previous_secret_expires_at, secret_rotated_at, created_at, updated_at,
        last_success_at, last_failure_at, consecutive_failures, failing_since, disabled_at, disabled_reason
        """;

    public Task<List<Channel>> ListAsync(Guid tenantId, CancellationToken ct) =>
        database.ForTenantAsync(tenantId, async (connection, transaction) =>
        {
            await using var command = new NpgsqlCommand($"SELECT {Columns} FROM channels WHERE tenant_id = $1 ORDER BY created_at, id", connection, transaction);
            command.Parameters.AddWithValue(tenantId);
            return await ReadAllAsync(command, ct);
        }, ct);

    public Task<Channel?> FindAsync(Guid tenantId, Guid id, CancellationToken ct) =>
        database.ForTenantAsync(tenantId, (connection, transaction) => FindAsync(connection, transaction, tenantId, id, forUpdate: false, ct), ct);

    /// <summary>Creates a channel; a webhook gets a new signing secret, returned in plain text this once. Null when the tenant is at <see cref="MaxChannels"/>.</summary>
    public Task<(Channel? Channel, string? Secret)> CreateAsync(Guid tenantId, ChannelBody body, AuditEntry audit, CancellationToken ct) =>
        database.ForTenantAsync(tenantId, async (connection, transaction) =>
        {
            // Serialise creations per tenant, so two at once cannot both pass the count.
            await using (var lockCommand = new NpgsqlCommand("SELECT pg_advisory_xact_lock(hashtext('channels:' || $1::text))", connection, transaction))
            {
                lockCommand.Parameters.AddWithValue(tenantId);
                await lockCommand.ExecuteNonQueryAsync(ct);
            }
            await using (var count = new NpgsqlCommand("SELECT count(*) FROM channels WHERE tenant_id = $1", connection, transaction))
            {
                count.Parameters.AddWithValue(tenantId);
                if ((long)(await count.ExecuteScalarAsync(ct))! >= MaxChannels) return ((Channel?)null, (string?)null);
            }
            var id = Guid.CreateVersion7();
            var now = time.GetUtcNow();
            var secret = body.Type == ChannelTypes.Webhook ? WebhookSignature.NewSecret() : null;
            var target = TargetOf(body);
            await using var insert = new NpgsqlCommand("""
                INSERT INTO channels (tenant_id, id, type, name, target, target_protected, recipients, secret_protected, created_at, updated_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)
                """, connection, transaction);
            insert.Parameters.AddWithValue(tenantId);
            insert.Parameters.AddWithValue(id);
            insert.Parameters.AddWithValue(body.Type!);
            insert.Parameters.AddWithValue(body.Name!.Trim());
            insert.Parameters.AddWithValue(target is null ? "" : ChannelMasking.Mask(body.Type!, target));
            insert.Parameters.Add(Text(target is null ? null : secrets.Protect(target)));
            insert.Parameters.Add(new NpgsqlParameter { Value = (object?)body.Recipients?.ToArray() ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
            insert.Parameters.Add(Text(secret is null ? null : secrets.Protect(secret)));
            insert.Parameters.AddWithValue(now);
            await insert.ExecuteNonQueryAsync(ct);
            var channel = (await FindAsync(connection, transaction, tenantId, id, forUpdate: false, ct))!;
            await AuditLog.AppendAsync(connection, transaction, audit with { TargetType = "channel", TargetId = id.ToString(), Summary = new { after = ChannelViews.Summary(channel) } }, ct);
            return (channel, secret);
        }, ct);

    /// <summary>Replaces name and target (a target left out is kept). Null when there is no such channel.</summary>
    public Task<Channel?> UpdateAsync(Guid tenantId, Guid id, ChannelBody body, AuditEntry audit, CancellationToken ct) =>
        database.ForTenantAsync(tenantId, async (connection, transaction) =>
        {
            var before = await FindAsync(connection, transaction, tenantId, id, forUpdate: true, ct);
            if (before is null) return null;
            var target = TargetOf(body);
            await using var update = new NpgsqlCommand("""
                UPDATE channels SET name = $3,
                    target = COALESCE($4, target), target_protected = COALESCE($5, target_protected),
                    recipients = COALESCE($6, recipients), updated_at = $7,
                    -- Changing a channel is how an admin re-enables one the outbox disabled: its health starts over.
                    disabled_at = NULL, disabled_reason = NULL, failing_since = NULL, consecutive_failures = 0
                WHERE tenant_id = $1 AND id = $2
                """, connection, transaction);
            update.Parameters.AddWithValue(tenantId);
            update.Parameters.AddWithValue(id);
            update.Parameters.AddWithValue(body.Name!.Trim());
            update.Parameters.Add(Text(target is null ? null : ChannelMasking.Mask(before.Type, target)));
            update.Parameters.Add(Text(target is null ? null : secrets.Protect(target)));
            update.Parameters.Add(new NpgsqlParameter { Value = (object?)body.Recipients?.ToArray() ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
            update.Parameters.AddWithValue(time.GetUtcNow());
            await update.ExecuteNonQueryAsync(ct);
            var after = (await FindAsync(connection, transaction, tenantId, id, forUpdate: false, ct))!;
            await AuditLog.AppendAsync(connection, transaction, audit with
            {
                TargetType = "channel", TargetId = id.ToString(), Summary = new { before = ChannelViews.Summary(before), after = ChannelViews.Summary(after) },
            }, ct);
            return after;
        }, ct);

    public enum DeleteResult { Deleted, NotFound, InUse }

    /// <summary>
    /// Deletes a channel no rule or escalation policy uses (<c>UsedBy</c> names those that still do); its deliveries
    /// still waiting are marked dead, since there is nothing left to send them to.
    /// </summary>
    public Task<(DeleteResult Result, List<string> UsedBy)> DeleteAsync(Guid tenantId, Guid id, AuditEntry audit, CancellationToken ct) =>
        database.ForTenantAsync(tenantId, async (connection, transaction) =>
        {
            var before = await FindAsync(connection, transaction, tenantId, id, forUpdate: true, ct);
            if (before is null) return (DeleteResult.NotFound, new List<string>());
            var usedBy = new List<string>();
            await using (var rules = new NpgsqlCommand(
                "SELECT name FROM alert_rules WHERE tenant_id = $1 AND definition -> 'channelIds' ? $2 ORDER BY name LIMIT 20", connection, transaction))
            {
                rules.Parameters.AddWithValue(tenantId);
                rules.Parameters.AddWithValue(id.ToString());
                await using var reader = await rules.ExecuteReaderAsync(ct);
                while (await reader.ReadAsync(ct)) usedBy.Add(reader.GetString(0));
            }
            // Policies too: the channel is locked above, and a policy write locks the channels it names (FOR KEY SHARE).
            usedBy.AddRange((await Alerting.Escalation.EscalationPolicyStore.NamingChannelAsync(connection, transaction, tenantId, id, ct))
                .Select(name => $"escalation policy {name}"));
            if (usedBy.Count > 0) return (DeleteResult.InUse, usedBy);
            await using (var outbox = new NpgsqlCommand(
                "UPDATE notification_outbox SET status = 'dead', last_error = 'The channel was deleted.' WHERE tenant_id = $1 AND channel_id = $2 AND status = 'pending'",
                connection, transaction))
            {
                outbox.Parameters.AddWithValue(tenantId);
                outbox.Parameters.AddWithValue(id);
                await outbox.ExecuteNonQueryAsync(ct);
            }
            await using (var delete = new NpgsqlCommand("DELETE FROM channels WHERE tenant_id = $1 AND id = $2", connection, transaction))
            {
                delete.Parameters.AddWithValue(tenantId);
                delete.Parameters.AddWithValue(id);
                await delete.ExecuteNonQueryAsync(ct);
            }
            await AuditLog.AppendAsync(connection, transaction, audit with { TargetType = "channel", TargetId = id.ToString(), Summary = new { before = ChannelViews.Summary(before) } }, ct);
            return (DeleteResult.Deleted, usedBy);
        }, ct);

    /// <summary>
    /// Gives a webhook channel a new signing secret (returned in plain text this once); the current one keeps
    /// signing, beside it, for <see cref="RotationOverlap"/>. A second rotation within that time retires the oldest.
    /// Null when there is no such webhook channel.
    /// </summary>
    public Task<(Channel Channel, string Secret)?> RotateSecretAsync(Guid tenantId, Guid id, AuditEntry audit, CancellationToken ct) =>
        database.ForTenantAsync<(Channel, string)?>(tenantId, async (connection, transaction) =>
        {
            var before = await FindAsync(connection, transaction, tenantId, id, forUpdate: true, ct);
            if (before is null || before.Type != ChannelTypes.Webhook) return null;
            var secret = WebhookSignature.NewSecret();
            var now = time.GetUtcNow();
            await using var update = new NpgsqlCommand("""
                UPDATE channels SET previous_secret_protected = secret_protected, previous_secret_expires_at = $3,
                    secret_protected = $4, secret_rotated_at = $5, updated_at = $5
                WHERE tenant_id = $1 AND id = $2
                """, connection, transaction);
            update.Parameters.AddWithValue(tenantId);
            update.Parameters.AddWithValue(id);
            update.Parameters.AddWithValue(now + RotationOverlap);
            update.Parameters.AddWithValue(secrets.Protect(secret));
            update.Parameters.AddWithValue(now);
            await update.ExecuteNonQueryAsync(ct);
            var after = (await FindAsync(connection, transaction, tenantId, id, forUpdate: false, ct))!;
            await AuditLog.AppendAsync(connection, transaction, audit with
            {
                TargetType = "channel", TargetId = id.ToString(), Summary = new { previousSecretExpiresAt = after.PreviousSecretExpiresAt },
            }, ct);
            return (after, secret);
        }, ct);

    /// <summary>Records something done with a channel that changes no row (a test send).</summary>
    public Task AuditAsync(Guid tenantId, AuditEntry entry, CancellationToken ct) =>
        database.ForTenantAsync(tenantId, (connection, transaction) => AuditLog.AppendAsync(connection, transaction, entry, ct), ct);

    /// <summary>The channel's real target and secrets, decrypted for one send; the previous secret only while it is still valid.</summary>
    public ChannelSecrets Reveal(Channel channel, DateTimeOffset now) => new(
        channel.TargetProtected is null ? channel.Target : secrets.Unprotect(channel.TargetProtected),
        channel.SecretProtected is null ? null : secrets.Unprotect(channel.SecretProtected),
        channel.PreviousSecretProtected is not null && channel.PreviousSecretExpiresAt > now ? secrets.Unprotect(channel.PreviousSecretProtected) : null);

    private static string? TargetOf(ChannelBody body) => body.Type == ChannelTypes.PagerDuty ? body.RoutingKey : ChannelTypes.HasUrl(body.Type!) ? body.Url : null;

    private static async Task<Channel?> FindAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, Guid id, bool forUpdate, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand($"SELECT {Columns} FROM channels WHERE tenant_id = $1 AND id = $2{(forUpdate ? " FOR UPDATE" : "")}", connection, transaction);
        command.Parameters.AddWithValue(tenantId);
        command.Parameters.AddWithValue(id);
        return (await ReadAllAsync(command, ct)).SingleOrDefault();
    }

    private static async Task<List<Channel>> ReadAllAsync(NpgsqlCommand command, CancellationToken ct)
    {
        var channels = new List<Channel>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            channels.Add(new Channel(reader.GetGuid(0), reader.GetGuid(1), reader.GetString(2), reader.GetString(3), reader.GetString(4),
                reader.IsDBNull(5) ? null : reader.GetString(5), reader.IsDBNull(6) ? [] : reader.GetFieldValue<string[]>(6),
                reader.IsDBNull(7) ? null : reader.GetString(7), reader.IsDBNull(8) ? null : reader.GetString(8),
                reader.IsDBNull(9) ? null : reader.GetFieldValue<DateTimeOffset>(9), reader.IsDBNull(10) ? null : reader.GetFieldValue<DateTimeOffset>(10),
                reader.GetFieldValue<DateTimeOffset>(11), reader.GetFieldValue<DateTimeOffset>(12),
                new Deliveries.ChannelHealthView(At(13), At(14), reader.GetInt32(15), At(16), At(17), reader.IsDBNull(18) ? null : reader.GetString(18))));
        DateTimeOffset? At(int column) => reader.IsDBNull(column) ? null : reader.GetFieldValue<DateTimeOffset>(column);
        return channels;
    }

    private static NpgsqlParameter Text(string? value) => new() { Value = (object?)value ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text };
}
