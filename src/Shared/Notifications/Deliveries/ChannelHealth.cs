using System.Net;
using System.Text.Json.Serialization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using PulseStream.Identity;
using PulseStream.Storage;

namespace PulseStream.Notifications.Deliveries;

/// <summary>A channel the dispatcher has just disabled, to tell the tenant's owners about.</summary>
public sealed record ChannelDisabled(Guid TenantId, Guid ChannelId, string Name, DateTimeOffset FailingSince, int ConsecutiveFailures, string Reason);

/// <summary>A channel's health as the channels API shows it (its <c>health</c>); <see cref="DisabledAt"/> set means disabled.</summary>
public sealed record ChannelHealthView(
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] DateTimeOffset? LastSuccessAt,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] DateTimeOffset? LastFailureAt,
    int ConsecutiveFailures,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] DateTimeOffset? FailingSince,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] DateTimeOffset? DisabledAt,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? DisabledReason);

/// <summary>
/// Channel health on <c>channels</c>: the last success and failure, the failures in a row and since when the channel
/// has failed without a success. A channel that has failed for <see cref="DisableAfter"/> is disabled (its later
/// notifications are not enqueued), audited as the system's act, and the tenant's owners are told by e-mail.
/// </summary>
public static class ChannelHealth
{
    public static readonly TimeSpan DisableAfter = TimeSpan.FromDays(3);

    /// <summary>Records one attempt's outcome; returns the disabling when this failure made the channel cross the line.</summary>
    public static async Task<ChannelDisabled?> RecordAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, OutboxDelivery delivery,
        SendOutcome outcome, DateTimeOffset now, CancellationToken ct)
    {
        if (outcome.Delivered)
        {
            await using var success = new NpgsqlCommand("""
                UPDATE channels SET last_success_at = $3, consecutive_failures = 0, failing_since = NULL WHERE tenant_id = $1 AND id = $2
                """, connection, transaction);
            success.Parameters.AddWithValue(delivery.TenantId);
            success.Parameters.AddWithValue(delivery.ChannelId);
            success.Parameters.AddWithValue(now);
            await success.ExecuteNonQueryAsync(ct);
            return null;
        }

        // A disabled channel's leftover deliveries fail without making it any less healthy.
        await using var failure = new NpgsqlCommand("""
            UPDATE channels SET last_failure_at = $3, consecutive_failures = consecutive_failures + 1, failing_since = coalesce(failing_since, $3)
            WHERE tenant_id = $1 AND id = $2 AND disabled_at IS NULL
            RETURNING name, failing_since, consecutive_failures
            """, connection, transaction);
        failure.Parameters.AddWithValue(delivery.TenantId);
        failure.Parameters.AddWithValue(delivery.ChannelId);
        failure.Parameters.AddWithValue(now);
        string name;
        DateTimeOffset failingSince;
        int failures;
        await using (var reader = await failure.ExecuteReaderAsync(ct))
        {
            if (!await reader.ReadAsync(ct)) return null;
            (name, failingSince, failures) = (reader.GetString(0), reader.GetFieldValue<DateTimeOffset>(1), reader.GetInt32(2));
        }
        if (now - failingSince < DisableAfter) return null;

        var reason = $"Every delivery failed for {(now - failingSince).TotalDays:0.#} days ({failures} attempts in a row); the last error: {DeliveryAttemptLog.Bounded(outcome.Error) ?? "none"}";
        await using (var disable = new NpgsqlCommand("UPDATE channels SET disabled_at = $3, disabled_reason = $4 WHERE tenant_id = $1 AND id = $2", connection, transaction))
        {
            disable.Parameters.AddWithValue(delivery.TenantId);
            disable.Parameters.AddWithValue(delivery.ChannelId);
            disable.Parameters.AddWithValue(now);
            disable.Parameters.AddWithValue(reason);
            await disable.ExecuteNonQueryAsync(ct);
        }
        await AuditLog.AppendAsync(connection, transaction, new AuditEntry(delivery.TenantId, Actor.System, "channel.disable", "channel", delivery.ChannelId.ToString(),
            new { reason, failingSince, consecutiveFailures = failures }), ct);
        return new ChannelDisabled(delivery.TenantId, delivery.ChannelId, name, failingSince, failures, reason);
    }
}

/// <summary>Tells a tenant's owners that a channel was disabled, through the configured <see cref="IEmailTransport"/>.</summary>
public sealed class ChannelDisabledNotice(Database database, IServiceProvider services, ILogger<ChannelDisabledNotice> logger)
{
    public async Task SendAsync(ChannelDisabled disabled, CancellationToken ct)
    {
        // Resolved late: the transport is the channels' (ACS or SMTP), and an app without one still disables channels.
        var transport = services.GetService<IEmailTransport>();
        if (transport is null)
        {
            logger.LogWarning("Channel {ChannelId} of tenant {TenantId} was disabled, and no e-mail transport is configured to tell its owners", disabled.ChannelId, disabled.TenantId);
            return;
        }
        var owners = await database.ForTenantAsync(disabled.TenantId, async (connection, transaction) =>
        {
            await using var command = new NpgsqlCommand(
                "SELECT email FROM users WHERE tenant_id = $1 AND role = 'owner' AND status = 'active' ORDER BY created_at LIMIT 20", connection, transaction);
            command.Parameters.AddWithValue(disabled.TenantId);
            var emails = new List<string>();
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct)) emails.Add(reader.GetString(0));
            return emails;
        }, ct);
        if (owners.Count == 0) return;

        var subject = $"PulseStream disabled the notification channel \"{disabled.Name}\"";
        var plain = $"""
            The notification channel "{disabled.Name}" was disabled: it has failed since {disabled.FailingSince:u}.

            {disabled.Reason}

            Alerts routed to it are not sent until it is fixed and enabled again. The attempts are listed under
            Deliveries (GET /api/v1/deliveries?channelId={disabled.ChannelId}).
            """;
        var html = $"""
            <p>The notification channel <strong>{WebUtility.HtmlEncode(disabled.Name)}</strong> was disabled: it has failed since {disabled.FailingSince:u}.</p>
            <p>{WebUtility.HtmlEncode(disabled.Reason)}</p>
            <p>Alerts routed to it are not sent until it is fixed and enabled again. The attempts are listed under Deliveries
            (<code>GET /api/v1/deliveries?channelId={disabled.ChannelId}</code>).</p>
            """;
        var outcome = await transport.SendAsync(new EmailMessage(owners, subject, plain, html), ct);
        if (!outcome.Delivered)
            logger.LogWarning("The owners of tenant {TenantId} could not be told that channel {ChannelId} was disabled: {Error}", disabled.TenantId, disabled.ChannelId, outcome.Error);
    }
}
