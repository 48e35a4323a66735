namespace PulseStream.Notifications.Channels;

/// <summary>The channel types (CONTRACT.md, "Extensions": channel body).</summary>
public static class ChannelTypes
{
    public const string Webhook = "webhook";
    public const string Slack = "slack";
    public const string Teams = "teams";
    public const string PagerDuty = "pagerduty";
    public const string Email = "email";

    public static readonly IReadOnlyList<string> All = [Webhook, Slack, Teams, PagerDuty, Email];

    /// <summary>Types whose target is a URL (<c>url</c> in the body).</summary>
    public static bool HasUrl(string type) => type is Webhook or Slack or Teams;
}

/// <summary>
/// A stored channel as the senders need it, secrets still protected: <see cref="Target"/> is the masked form shown to
/// people, <see cref="TargetProtected"/> the real URL or routing key (null for rows from before migration 0017, whose
/// <see cref="Target"/> is the real one).
/// </summary>
public sealed record Channel(Guid TenantId, Guid Id, string Type, string Name, string Target, string? TargetProtected, IReadOnlyList<string> Recipients,
    string? SecretProtected, string? PreviousSecretProtected, DateTimeOffset? PreviousSecretExpiresAt, DateTimeOffset? SecretRotatedAt,
    DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, Deliveries.ChannelHealthView? Health = null);

/// <summary>A channel's real target, decrypted for one send.</summary>
public sealed record ChannelSecrets(string Target, string? Secret, string? PreviousSecret);
