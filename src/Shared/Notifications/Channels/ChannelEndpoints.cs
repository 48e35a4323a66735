using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using PulseStream.Http;
using PulseStream.Identity;

namespace PulseStream.Notifications.Channels;

/// <summary>The channel routes' application logic, scoped to the caller's tenant (Admin).</summary>
public sealed class ChannelEndpoints(ChannelStore store, INotificationSender sender, ChannelTestThrottle testThrottle, IOptions<NotificationOptions> options, TimeProvider time)
{
    public async Task<IActionResult> ListAsync(Caller caller, CancellationToken ct) =>
        ApiResults.Ok(new { items = (await store.ListAsync(caller.TenantId, ct)).Select(c => ChannelViews.View(c)) });

    public async Task<IActionResult> CreateAsync(Caller caller, HttpRequest request, CancellationToken ct)
    {
        var (body, failure) = await JsonBodyReader.ReadAsAsync<ChannelBody>(request, ct, maxBytes: 16 * 1024);
        if (failure is not null) return failure;
        var errors = await ChannelValidator.ValidateAsync(body!, null, options.Value, ct);
        if (errors.Count > 0) return ApiResults.BadRequest("invalid-channel", "The channel is not valid.", errors);
        var (channel, secret) = await store.CreateAsync(caller.TenantId, body!, Audit(caller, request, "channel.create"), ct);
        return channel is null
            ? ApiResults.Problem(StatusCodes.Status409Conflict, "channel-limit", "Too many channels.",
                $"The tenant has reached its channel limit ({ChannelStore.MaxChannels}). Delete a channel first.")
            : ApiResults.Created(ChannelViews.View(channel, secret));
    }

    public async Task<IActionResult> UpdateAsync(Caller caller, string id, HttpRequest request, CancellationToken ct)
    {
        if (!Guid.TryParse(id, out var channelId) || await store.FindAsync(caller.TenantId, channelId, ct) is not { } existing)
            return ApiResults.NotFound("No such channel.");
        var (body, failure) = await JsonBodyReader.ReadAsAsync<ChannelBody>(request, ct, maxBytes: 16 * 1024);
        if (failure is not null) return failure;
        var errors = await ChannelValidator.ValidateAsync(body!, existing, options.Value, ct);
        if (errors.Count > 0) return ApiResults.BadRequest("invalid-channel", "The channel is not valid.", errors);
        var updated = await store.UpdateAsync(caller.TenantId, channelId, body!, Audit(caller, request, "channel.update"), ct);
        return updated is null ? ApiResults.NotFound("No such channel.") : ApiResults.Ok(ChannelViews.View(updated));
    }

    public async Task<IActionResult> DeleteAsync(Caller caller, string id, HttpRequest request, CancellationToken ct)
    {
        if (!Guid.TryParse(id, out var channelId)) return ApiResults.NotFound("No such channel.");
        var (result, usedBy) = await store.DeleteAsync(caller.TenantId, channelId, Audit(caller, request, "channel.delete"), ct);
        return result switch
        {
            ChannelStore.DeleteResult.Deleted => ApiResults.NoContent(),
            ChannelStore.DeleteResult.InUse => ApiResults.Problem(StatusCodes.Status409Conflict, "channel-in-use", "The channel is in use.",
                $"Rules or escalation policies still notify this channel: {string.Join(", ", usedBy)}. Remove it from them first."),
            _ => ApiResults.NotFound("No such channel."),
        };
    }

    public async Task<IActionResult> RotateSecretAsync(Caller caller, string id, HttpRequest request, CancellationToken ct)
    {
        if (!Guid.TryParse(id, out var channelId) || await store.FindAsync(caller.TenantId, channelId, ct) is not { } existing)
            return ApiResults.NotFound("No such channel.");
        if (existing.Type != ChannelTypes.Webhook)
            return ApiResults.BadRequest("no-secret", $"Only webhook channels have a signing secret; this one is {existing.Type}.");
        var rotated = await store.RotateSecretAsync(caller.TenantId, channelId, Audit(caller, request, "channel.rotate_secret"), ct);
        return rotated is null ? ApiResults.NotFound("No such channel.") : ApiResults.Ok(ChannelViews.View(rotated.Value.Channel, rotated.Value.Secret));
    }

    /// <summary>Sends a <c>channel.test</c> notification at once, outside the outbox, and answers what the receiver did.</summary>
    public async Task<IActionResult> TestAsync(Caller caller, string id, HttpRequest request, CancellationToken ct)
    {
        if (!Guid.TryParse(id, out var channelId) || await store.FindAsync(caller.TenantId, channelId, ct) is not { } channel)
            return ApiResults.NotFound("No such channel.");
        if (testThrottle.TryAcquire(caller.TenantId, channel.Id) is { Allowed: false } refused) return TooManyTests(refused);
        var notification = new Notification(caller.TenantId, Guid.CreateVersion7(), channel.Id, null, ChannelNotifications.TestEvent,
            ChannelNotifications.TestAlert(time.GetUtcNow()), 1);
        var outcome = await sender.SendAsync(notification, ct);
        await store.AuditAsync(caller.TenantId, Audit(caller, request, "channel.test") with
        {
            TargetType = "channel", TargetId = channel.Id.ToString(),
            Summary = new { deliveryId = notification.DeliveryId, outcome.Delivered, outcome.StatusCode, outcome.Error, outcome.Detail },
        }, ct);
        return ApiResults.Ok(new
        {
            deliveryId = notification.DeliveryId,
            delivered = outcome.Delivered,
            statusCode = outcome.StatusCode,
            latencyMs = Math.Round(outcome.Latency.TotalMilliseconds, 1),
            error = outcome.Error,
            detail = outcome.Detail,
            permanent = outcome.Delivered ? (bool?)null : outcome.Permanent,
        });
    }

    private static JsonBodyResult TooManyTests(ChannelTestThrottle.Decision refused)
    {
        var seconds = (int)Math.Ceiling(refused.RetryAfter.TotalSeconds);
        var (scope, limit) = refused.LimitedBy == ChannelTestThrottle.Scope.Channel
            ? ("this channel", ChannelTestThrottle.PerChannelPerMinute)
            : ("this tenant", ChannelTestThrottle.PerTenantPerMinute);
        var result = ApiResults.Problem(StatusCodes.Status429TooManyRequests, "too-many-test-sends", "Too many test sends.",
            $"At most {limit} test sends a minute for {scope}. Try again in {seconds} seconds.");
        result.Headers["Retry-After"] = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return result;
    }

    private static AuditEntry Audit(Caller caller, HttpRequest request, string action) =>
        new(caller.TenantId, Actor.User(caller.UserId), action, ClientAddress: AuditLog.ClientAddress(request));
}
