using System.Collections.Concurrent;
using PulseStream.Notifications;

namespace PulseStream.LocalHost.Demo;

/// <summary>A webhook delivery the local sink received, and whether its signature verified.</summary>
public sealed record ReceivedWebhook(string? DeliveryId, DateTimeOffset ReceivedAt, bool SignatureValid, string Body, bool StandardSignatureValid = false);

/// <summary>
/// The demo tenant's webhook receiver, on the local host at <c>/local/webhook-sink</c>: verifies each delivery's
/// signatures (the contract's and, when present, the Standard Webhooks one) with the demo channel's secret, logs it, and lists the last 100 at <c>GET /local/webhook-sink</c>.
/// </summary>
public sealed class WebhookSink(TimeProvider time, ILogger<WebhookSink> logger)
{
    public const string Path = "/local/webhook-sink";
    private readonly ConcurrentQueue<ReceivedWebhook> _received = new();

    public string? Secret { get; set; }

    public async Task<IResult> ReceiveAsync(HttpContext context)
    {
        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer, context.RequestAborted);
        var body = buffer.ToArray();
        var valid = Secret is not null && WebhookSignature.Verify(Secret, context.Request.Headers["X-PulseStream-Timestamp"],
            context.Request.Headers["X-PulseStream-Signature"], body, time.GetUtcNow(), TimeSpan.FromMinutes(5));
        var standard = Secret is not null && context.Request.Headers.ContainsKey("webhook-signature") && WebhookSignature.VerifyStandard(Secret,
            context.Request.Headers["webhook-id"], context.Request.Headers["webhook-timestamp"], context.Request.Headers["webhook-signature"], body, time.GetUtcNow(), TimeSpan.FromMinutes(5));
        var delivery = context.Request.Headers["X-PulseStream-Delivery"].ToString();
        _received.Enqueue(new ReceivedWebhook(delivery, time.GetUtcNow(), valid, System.Text.Encoding.UTF8.GetString(body), standard));
        while (_received.Count > 100) _received.TryDequeue(out _);
        logger.LogInformation("Webhook delivery {DeliveryId} received; signature {Verdict}", delivery, valid ? "verified" : "INVALID");
        return valid ? Results.NoContent() : Results.Unauthorized();
    }

    public IResult List() => Results.Json(_received.Reverse().ToArray());
}
