using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace PulseStream.Notifications;

/// <summary>
/// Sends due outbox deliveries. Webhooks are POSTed with the contract's headers; the delivery id is the outbox id,
/// stable across retries, so receivers can deduplicate.
/// </summary>
public sealed class NotificationDispatcher(Storage.Database database, IHttpClientFactory httpClients, SecretProtector secrets,
    TimeProvider time, Microsoft.Extensions.Options.IOptions<Deliveries.DeliveryOptions> options, ILogger<NotificationDispatcher> logger)
{
    public const string HttpClientName = "notifications";

    /// <summary>Dispatches one round of due deliveries; returns how many were delivered.</summary>
    public async Task<int> DispatchDueAsync(CancellationToken ct)
    {
        var delivered = 0;
        var claimed = await NotificationOutbox.ClaimDueAsync(database, time.GetUtcNow(), 50, options.Value.Lease, ct);
        foreach (var delivery in claimed)
        {
            try
            {
                await SendAsync(delivery, ct);
                await NotificationOutbox.MarkDeliveredAsync(database, delivery, time.GetUtcNow(), ct);
                delivered++;
            }
            catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                logger.LogWarning("Delivery {DeliveryId} to channel {ChannelId} failed: {Error}", delivery.Id, delivery.ChannelId, e.Message);
                await NotificationOutbox.MarkFailedAsync(database, delivery, e.Message, time.GetUtcNow(), ct);
            }
        }
        return delivered;
    }

    private async Task SendAsync(OutboxDelivery delivery, CancellationToken ct)
    {
        if (delivery.ChannelType != "webhook") throw new NotSupportedException($"Channel type '{delivery.ChannelType}' is not supported yet.");
        var now = time.GetUtcNow();
        var body = JsonSerializer.SerializeToUtf8Bytes(new
        {
            id = delivery.Id,
            type = delivery.EventType,
            alert = delivery.Alert,
            tenantId = delivery.TenantId,
            sentAt = now,
        });
        var timestamp = now.ToUnixTimeSeconds();
        var secret = delivery.SecretProtected is null ? "" : secrets.Unprotect(delivery.SecretProtected);
        using var request = new HttpRequestMessage(HttpMethod.Post, delivery.Target) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Add("X-PulseStream-Delivery", delivery.Id.ToString());
        request.Headers.Add("X-PulseStream-Timestamp", timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture));
        request.Headers.Add("X-PulseStream-Signature", WebhookSignature.Sign(secret, timestamp, body));
        request.Headers.UserAgent.ParseAdd("PulseStream-Webhooks/1.0");

        using var client = httpClients.CreateClient(HttpClientName);
        using var response = await client.SendAsync(request, ct);
        if (!response.IsSuccessStatusCode)
            throw new HttpRequestException($"The receiver answered {(int)response.StatusCode}.");
    }
}
