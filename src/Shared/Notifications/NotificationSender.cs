using System.Text.Json;

namespace PulseStream.Notifications;

/// <summary>
/// One notification to send to one channel: the outbox row's delivery id (stable across retries, so receivers can
/// deduplicate), the event (<c>alert.firing</c>, <c>alert.acknowledged</c>, <c>alert.resolved</c>, <c>channel.test</c>)
/// and the alert as the contract's real-time <c>alert</c> message carries it. <paramref name="Attempt"/> counts from 1.
/// A rule group's notification (<paramref name="Group"/>) lists all its alerts; <paramref name="Alert"/> is its lead.
/// An escalation step's e-mail to a member of the tenant has <paramref name="MemberId"/> and no channel
/// (<paramref name="ChannelId"/> is <see cref="Guid.Empty"/>).
/// </summary>
public sealed record Notification(Guid TenantId, Guid DeliveryId, Guid ChannelId, Guid? AlertId, string EventType, JsonElement Alert, int Attempt,
    GroupListing? Group = null, Guid? MemberId = null);

/// <summary>
/// What a group notification lists beyond its lead alert: <paramref name="Alerts"/> (alert views, firing first) and
/// <paramref name="Summary"/> (<c>{ruleId, ruleName, firing, acknowledged, resolved, open, dedupKey}</c>).
/// </summary>
public sealed record GroupListing(JsonElement Alerts, JsonElement Summary)
{
    /// <summary>
    /// An outbox payload read back: a group notification's <c>{alert, alerts, group}</c> (an alert view never has
    /// <c>alerts</c>) gives its lead and listing; any other payload is the alert itself.
    /// </summary>
    public static (JsonElement Alert, GroupListing? Group) Split(JsonElement payload) =>
        payload.ValueKind == JsonValueKind.Object && payload.TryGetProperty("alerts", out var alerts) && alerts.ValueKind == JsonValueKind.Array
            && payload.TryGetProperty("alert", out var lead) && payload.TryGetProperty("group", out var group) && group.ValueKind == JsonValueKind.Object
            ? (lead.Clone(), new GroupListing(alerts.Clone(), group.Clone()))
            : (payload.Clone(), null);
}

/// <summary>
/// What one attempt to send a notification came to. <paramref name="StatusCode"/> is the receiver's HTTP status (or the
/// SMTP reply code) when there was one; <paramref name="Permanent"/> says retrying cannot help (the channel is gone,
/// disabled, or the receiver refused the request as malformed), so the outbox stops at once.
/// </summary>
/// <param name="Detail">What the service said beyond the status code, kept with the attempt (ACS e-mail: the operation's final status).</param>
public sealed record SendOutcome(bool Delivered, int? StatusCode, TimeSpan Latency, string? Error, bool Permanent = false, string? Detail = null)
{
    public static SendOutcome Success(int? statusCode, TimeSpan latency) => new(true, statusCode, latency, null);
    public static SendOutcome Failure(string error, TimeSpan latency, int? statusCode = null, bool permanent = false) => new(false, statusCode, latency, error, permanent);
}

/// <summary>
/// The seam between the outbox (which decides when and how often to try) and the channels (which know how to reach
/// a receiver): loads the notification's channel, renders the message for its type and sends it once. Never throws
/// for a receiver's failure; the outcome says what happened.
/// </summary>
public interface INotificationSender
{
    Task<SendOutcome> SendAsync(Notification notification, CancellationToken ct);
}

/// <summary>One e-mail, rendered: at most 20 recipients, with an HTML and a plain-text body.</summary>
public sealed record EmailMessage(IReadOnlyList<string> To, string Subject, string PlainText, string Html);

/// <summary>Sends e-mail through the configured transport (Azure Communication Services Email, or SMTP).</summary>
public interface IEmailTransport
{
    Task<SendOutcome> SendAsync(EmailMessage message, CancellationToken ct);
}
