using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using PulseStream.Storage;

namespace PulseStream.Notifications.Channels;

/// <summary>
/// The <see cref="INotificationSender"/> of the product: loads the notification's channel in its tenant, decrypts its
/// target and secrets for this one send, reads the facts every message quotes (the rule's threshold when the alert
/// does not carry it), and hands them to the sender of the channel's type. A channel that no longer exists, or that
/// the outbox disabled, is a permanent failure; nothing here throws for what a receiver did. An escalation step's e-mail
/// to a member (<see cref="Notification.MemberId"/>) reads the member's address now: one who left the tenant, or has
/// not accepted an invitation, is not e-mailed (a permanent failure, so the delivery log says why).
/// </summary>
public sealed class ChannelNotificationSender(ChannelStore store, Database database, IEnumerable<IChannelSender> senders, IOptions<NotificationOptions> options,
    IEmailTransport email, TimeProvider time, ILogger<ChannelNotificationSender> logger) : INotificationSender
{
    private readonly Dictionary<string, IChannelSender> _senders = senders.ToDictionary(s => s.Type);

    public async Task<SendOutcome> SendAsync(Notification notification, CancellationToken ct)
    {
        try
        {
            if (notification.MemberId is { } memberId) return await SendToMemberAsync(notification, memberId, ct);
            var channel = await store.FindAsync(notification.TenantId, notification.ChannelId, ct);
            if (channel is null) return SendOutcome.Failure("The channel no longer exists.", TimeSpan.Zero, permanent: true);
            // Disabled by the outbox after failing for days: what was still queued for it dies; a test may still check it.
            if (channel.Health?.DisabledAt is not null && notification.EventType != ChannelNotifications.TestEvent)
                return SendOutcome.Failure("The channel is disabled.", TimeSpan.Zero, permanent: true);
            if (!_senders.TryGetValue(channel.Type, out var sender))
                return SendOutcome.Failure($"Channel type '{channel.Type}' has no sender.", TimeSpan.Zero, permanent: true);
            var condition = notification.EventType == ChannelNotifications.TestEvent ? null : await ConditionAsync(notification, ct);
            var facts = ChannelNotifications.Facts(notification, condition, options.Value.DashboardUrl);
            return await sender.SendAsync(channel, store.Reveal(channel, time.GetUtcNow()), notification, facts, ct);
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            logger.LogError(e, "Sending delivery {DeliveryId} to channel {ChannelId} failed before reaching the receiver", notification.DeliveryId, notification.ChannelId);
            return SendOutcome.Failure("The notification could not be prepared.", TimeSpan.Zero);
        }
    }

    /// <summary>The error of an e-mail to a member who is no longer an active member of the tenant when it is sent.</summary>
    public const string MemberGoneError = "Not sent: the member is no longer in the tenant.";

    private async Task<SendOutcome> SendToMemberAsync(Notification notification, Guid memberId, CancellationToken ct)
    {
        var address = await database.ForTenantAsync(notification.TenantId, async (connection, transaction) =>
        {
            await using var command = new NpgsqlCommand("SELECT email FROM users WHERE tenant_id = $1 AND id = $2 AND status = 'active'", connection, transaction);
            command.Parameters.AddWithValue(notification.TenantId);
            command.Parameters.AddWithValue(memberId);
            return await command.ExecuteScalarAsync(ct) as string;
        }, ct);
        if (address is null) return SendOutcome.Failure(MemberGoneError, TimeSpan.Zero, permanent: true);
        var facts = ChannelNotifications.Facts(notification, await ConditionAsync(notification, ct), options.Value.DashboardUrl);
        var message = EmailChannelSender.Message([address], facts);
        return await email.SendAsync(message with { Subject = message.Subject.Replace("[PulseStream] ", "[PulseStream] Escalation: ", StringComparison.Ordinal) }, ct);
    }

    /// <summary>The rule's metric, operator and threshold, unless the alert carries them; null when the rule is gone.</summary>
    private async Task<RuleCondition?> ConditionAsync(Notification notification, CancellationToken ct)
    {
        var alert = notification.Alert;
        if (alert.ValueKind != System.Text.Json.JsonValueKind.Object || alert.TryGetProperty("threshold", out _)) return null;
        if (!alert.TryGetProperty("ruleId", out var ruleIdValue) || ruleIdValue.ValueKind != System.Text.Json.JsonValueKind.String
            || !Guid.TryParse(ruleIdValue.GetString(), out var ruleId)) return null;
        return await database.ForTenantAsync(notification.TenantId, async (connection, transaction) =>
        {
            await using var command = new NpgsqlCommand("""
                SELECT definition #>> '{condition,metric}', definition #>> '{condition,operator}', (definition #>> '{condition,threshold}')::float8
                FROM alert_rules WHERE tenant_id = $1 AND id = $2
                """, connection, transaction);
            command.Parameters.AddWithValue(notification.TenantId);
            command.Parameters.AddWithValue(ruleId);
            await using var reader = await command.ExecuteReaderAsync(ct);
            if (!await reader.ReadAsync(ct)) return null;
            return new RuleCondition(reader.IsDBNull(0) ? null : reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1),
                reader.IsDBNull(2) ? null : reader.GetDouble(2));
        }, ct);
    }
}
