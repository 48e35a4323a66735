using System.Text.Json;

namespace PulseStream.Notifications;

/// <summary>
/// One notification to send to one channel: the outbox row's delivery id (stable across retries, so receivers can
/// deduplicate), the event (<c>alert.firing</c>, <c>alert.acknowledged</c>, <c>alert.resolved</c>, <c>channel.test</c>)
/// and the alert as the contract's real-time <c>alert</c> message carries it. <paramref name="Attempt"/> counts from 1.
/// </summary>
public sealed record Notification(Guid TenantId, Guid DeliveryId, Guid ChannelId, Guid? AlertId, string EventType, JsonElement Alert, int Attempt);

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
