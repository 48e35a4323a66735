namespace PulseStream.Notifications.Channels;

/// <summary>How a channel is shown: never a secret, targets masked (<see cref="ChannelMasking"/>).</summary>
public static class ChannelViews
{
    public static object View(Channel channel, string? secret = null)
    {
        // Rows from before migration 0017 hold their real target in the clear: mask it on the way out.
        var shown = channel.TargetProtected is null && channel.Target.Length > 0 ? ChannelMasking.Mask(channel.Type, channel.Target) : channel.Target;
        return new
        {
            id = channel.Id,
            type = channel.Type,
            name = channel.Name,
            url = ChannelTypes.HasUrl(channel.Type) ? shown : null,
            routingKey = channel.Type == ChannelTypes.PagerDuty ? shown : null,
            recipients = channel.Type == ChannelTypes.Email ? channel.Recipients : null,
            hasSecret = channel.Type == ChannelTypes.Webhook ? channel.SecretProtected is not null : (bool?)null,
            secretRotatedAt = channel.SecretRotatedAt,
            previousSecretExpiresAt = channel.PreviousSecretExpiresAt,
            createdAt = channel.CreatedAt,
            updatedAt = channel.UpdatedAt,
            // Disabled by the outbox after failing for days; a PUT re-enables it.
            enabled = channel.Health?.DisabledAt is null,
            health = channel.Health,
            // Shown once, in the answer to creation or rotation.
            secret,
        };
    }

    /// <summary>The audit trail's before/after: the same masked view.</summary>
    public static object Summary(Channel channel) => View(channel);
}
