using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using Npgsql;
using PulseStream.Storage;

namespace PulseStream.Notifications.Deliveries;

/// <summary>
/// The default <see cref="INotificationSender"/> until the channels' sender (every type) is registered: loads the
/// channel and POSTs a webhook with the contract's headers and signature. Other types fail permanently.
/// </summary>
public sealed class WebhookOnlySender(Database database, IHttpClientFactory httpClients, SecretProtector secrets, TimeProvider time) : INotificationSender
{
    private sealed record Channel(string Type, string Target, string? SecretProtected, bool Disabled);

    public async Task<SendOutcome> SendAsync(Notification notification, CancellationToken ct)
    {
        var channel = await database.ForTenantAsync(notification.TenantId, async (connection, transaction) =>
        {
            await using var command = new NpgsqlCommand(
                "SELECT type, target, secret_protected, disabled_at IS NOT NULL FROM channels WHERE tenant_id = $1 AND id = $2", connection, transaction);
            command.Parameters.AddWithValue(notification.TenantId);
            command.Parameters.AddWithValue(notification.ChannelId);
            await using var reader = await command.ExecuteReaderAsync(ct);
            return await reader.ReadAsync(ct)
                ? new Channel(reader.GetString(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2), reader.GetBoolean(3))
                : null;
        }, ct);
        if (channel is null) return SendOutcome.Failure("The channel no longer exists.", TimeSpan.Zero, permanent: true);
        if (channel.Disabled) return SendOutcome.Failure("The channel is disabled.", TimeSpan.Zero, permanent: true);
        if (channel.Type != "webhook") return SendOutcome.Failure($"Channel type '{channel.Type}' cannot be sent yet.", TimeSpan.Zero, permanent: true);

        var now = time.GetUtcNow();
        var body = JsonSerializer.SerializeToUtf8Bytes(new
        {
            id = notification.DeliveryId,
            type = notification.EventType,
            alert = notification.Alert,
            tenantId = notification.TenantId,
            sentAt = now,
        });
        var timestamp = now.ToUnixTimeSeconds();
        var secret = channel.SecretProtected is null ? "" : secrets.Unprotect(channel.SecretProtected);
        using var request = new HttpRequestMessage(HttpMethod.Post, channel.Target) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Add("X-PulseStream-Delivery", notification.DeliveryId.ToString());
        request.Headers.Add("X-PulseStream-Timestamp", timestamp.ToString(CultureInfo.InvariantCulture));
        request.Headers.Add("X-PulseStream-Signature", WebhookSignature.Sign(secret, timestamp, body));
        request.Headers.UserAgent.ParseAdd("PulseStream-Webhooks/1.0");

        var started = Stopwatch.GetTimestamp();
        try
        {
            using var client = httpClients.CreateClient(NotificationDispatcher.HttpClientName);
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
            var status = (int)response.StatusCode;
            var latency = Stopwatch.GetElapsedTime(started);
            return response.IsSuccessStatusCode
                ? SendOutcome.Success(status, latency)
                // 410 Gone is the receiver saying it will never take these again.
                : SendOutcome.Failure($"The receiver answered {status}.", latency, status, permanent: status == 410);
        }
        catch (HttpRequestException e)
        {
            return SendOutcome.Failure(e.Message, Stopwatch.GetElapsedTime(started));
        }
    }
}
