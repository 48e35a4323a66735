using System.Globalization;
using System.Text.Json;

namespace PulseStream.Notifications.Channels;

/// <summary>
/// Webhooks: the contract's body <c>{id, type, alert, tenantId, sentAt}</c> (a rule group's notification adds
/// <c>alerts</c>, every alert it lists, and <c>group</c>, its counts) with its <c>X-PulseStream-*</c> headers, and
/// the Standard Webhooks headers (<c>webhook-id</c> = the delivery id, <c>webhook-timestamp</c>,
/// <c>webhook-signature</c>). During a rotation both signature headers carry two signatures, space-separated.
/// </summary>
public sealed class WebhookChannelSender(ChannelHttp http, TimeProvider time) : IChannelSender
{
    public string Type => ChannelTypes.Webhook;

    public Task<SendOutcome> SendAsync(Channel channel, ChannelSecrets secrets, Notification notification, AlertFacts facts, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var body = notification.Group is { } group
            ? JsonSerializer.SerializeToUtf8Bytes(new
            {
                id = notification.DeliveryId,
                type = notification.EventType,
                alert = notification.Alert,
                alerts = group.Alerts,
                group = group.Summary,
                tenantId = notification.TenantId,
                sentAt = now,
            }, Http.Json.Options)
            : JsonSerializer.SerializeToUtf8Bytes(new
            {
                id = notification.DeliveryId,
                type = notification.EventType,
                alert = notification.Alert,
                tenantId = notification.TenantId,
                sentAt = now,
            }, Http.Json.Options);
        var headers = SignatureHeaders(notification.DeliveryId.ToString(), now.ToUnixTimeSeconds(), body, secrets.Secret ?? "", secrets.PreviousSecret);
        return SendAsync(secrets.Target, body, headers, ct);
    }

    private async Task<SendOutcome> SendAsync(string url, byte[] body, IReadOnlyList<(string Name, string Value)> headers, CancellationToken ct) =>
        (await http.PostAsync(url, ChannelHttp.Json(body), request =>
        {
            foreach (var (name, value) in headers) request.Headers.TryAddWithoutValidation(name, value);
        }, ct)).Outcome;

    /// <summary>The headers of one delivery; <paramref name="previousSecret"/> (still valid after a rotation) adds its signatures.</summary>
    public static IReadOnlyList<(string Name, string Value)> SignatureHeaders(string deliveryId, long timestamp, byte[] body, string secret, string? previousSecret)
    {
        var signingSecrets = previousSecret is null ? new[] { secret } : [secret, previousSecret];
        var ts = timestamp.ToString(CultureInfo.InvariantCulture);
        return
        [
            ("X-PulseStream-Delivery", deliveryId),
            ("X-PulseStream-Timestamp", ts),
            ("X-PulseStream-Signature", string.Join(' ', signingSecrets.Select(s => WebhookSignature.Sign(s, timestamp, body)))),
            ("webhook-id", deliveryId),
            ("webhook-timestamp", ts),
            ("webhook-signature", string.Join(' ', signingSecrets.Select(s => WebhookSignature.SignStandard(s, deliveryId, timestamp, body)))),
        ];
    }
}
