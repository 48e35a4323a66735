using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using PulseStream.Notifications.Deliveries;

namespace PulseStream.Notifications;

/// <summary>
/// Sends due outbox deliveries through <see cref="INotificationSender"/>, up to <see cref="DeliveryOptions.Concurrency"/>
/// at a time: claims only for its free places (so nothing waits claimed), and claims again as each attempt ends and
/// every <see cref="DeliveryOptions.ClaimInterval"/> while attempts run, so a slow receiver holds its own places and
/// no more (a tenant holds at most <see cref="DeliveryOptions.MaxInFlightPerTenant"/>; each attempt is bounded by
/// <see cref="DeliveryOptions.AttemptTimeout"/>). Renews each claim while its receiver is being served, writes every
/// attempt's outcome under its claim, and keeps claiming while work is due within one round's budget. The delivery id
/// is the outbox id, stable across retries, so receivers can deduplicate.
/// </summary>
public sealed class NotificationDispatcher(Storage.Database database, INotificationSender sender, ChannelDisabledNotice disabledNotice, TimeProvider time,
    IOptions<DeliveryOptions> options, ILogger<NotificationDispatcher> logger)
{
    /// <summary>Dispatches one round of due deliveries; returns how many were delivered. It ends when nothing is due or being sent.</summary>
    public async Task<int> DispatchDueAsync(CancellationToken ct)
    {
        var settings = options.Value;
        var started = time.GetTimestamp();
        var sending = new List<Task<bool>>();
        var ended = new List<Task<bool>>();
        var delivered = 0;
        while (true)
        {
            var claiming = !ct.IsCancellationRequested && time.GetElapsedTime(started) <= settings.RoundBudget;
            if (claiming && sending.Count < settings.Concurrency)
            {
                var claimed = await NotificationOutbox.ClaimDueAsync(database, time.GetUtcNow(), settings.Concurrency - sending.Count, settings, ct);
                sending.AddRange(claimed.Select(d => DeliverAsync(d, settings, ct)));
            }
            if (sending.Count == 0) break;

            // Until an attempt ends, or (while claiming) the claim interval passes: another tenant's delivery that became
            // due meanwhile does not wait for a slow receiver.
            using (var wait = CancellationTokenSource.CreateLinkedTokenSource(ct))
            {
                var any = Task.WhenAny(sending);
                if (claiming) await Task.WhenAny(any, Task.Delay(settings.ClaimInterval, time, wait.Token));
                else await any;
                await wait.CancelAsync();
            }
            foreach (var done in sending.Where(t => t.IsCompleted).ToList())
            {
                sending.Remove(done);
                if (done.IsCompletedSuccessfully) delivered += done.Result ? 1 : 0;
                else ended.Add(done);
            }
        }
        // An attempt that threw (the round was cancelled) is observed here, after every other attempt was written.
        if (ended.Count > 0) await Task.WhenAll(ended);
        return delivered;
    }

    private async Task<bool> DeliverAsync(OutboxDelivery delivery, DeliveryOptions settings, CancellationToken ct)
    {
        using var attempt = CancellationTokenSource.CreateLinkedTokenSource(ct);
        using var timeout = new CancellationTokenSource(settings.AttemptTimeout, time);
        using var link = timeout.Token.Register(attempt.Cancel);
        using var stopHeartbeat = new CancellationTokenSource();
        var heartbeat = HeartbeatAsync(delivery, settings, attempt, stopHeartbeat.Token);

        var begun = time.GetTimestamp();
        SendOutcome outcome;
        try
        {
            outcome = await sender.SendAsync(new Notification(delivery.TenantId, delivery.Id, delivery.ChannelId,
                delivery.AlertId == Guid.Empty ? null : delivery.AlertId, delivery.EventType,
                delivery.Alert, delivery.Attempt, delivery.Group, delivery.MemberId), attempt.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            outcome = SendOutcome.Failure(timeout.IsCancellationRequested || !attempt.IsCancellationRequested
                ? $"The receiver did not answer within {settings.AttemptTimeout.TotalSeconds:0.#} s."
                : "The claim was lost while sending; another dispatcher took the delivery over.", time.GetElapsedTime(begun));
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            // The sender should answer an outcome for every receiver failure; anything else still counts as a failed attempt.
            logger.LogError(e, "Sending delivery {DeliveryId} threw", delivery.Id);
            outcome = SendOutcome.Failure("The notification could not be sent.", time.GetElapsedTime(begun));
        }
        finally
        {
            await stopHeartbeat.CancelAsync();
            await heartbeat;
        }
        if (timeout.IsCancellationRequested && !outcome.Delivered)
            outcome = outcome with { Error = $"The receiver did not answer within {settings.AttemptTimeout.TotalSeconds:0.#} s." };

        // Written even when the round is being cancelled, so a finished attempt is not repeated after a restart.
        var recorded = await NotificationOutbox.RecordAsync(database, delivery, outcome, time.GetUtcNow(), settings, CancellationToken.None);
        if (!recorded.ClaimHeld)
        {
            logger.LogWarning("Delivery {DeliveryId}: the claim of attempt {Attempt} was taken over; its outcome is not recorded", delivery.Id, delivery.Attempt);
            return false;
        }
        if (!outcome.Delivered && delivery.MemberId is { } memberId)
            logger.LogWarning("Delivery {DeliveryId} to member {MemberId}, attempt {Attempt}, failed ({State}): {Error}",
                delivery.Id, memberId, delivery.Attempt, recorded.State, outcome.Error);
        else if (!outcome.Delivered)
            logger.LogWarning("Delivery {DeliveryId} to channel {ChannelId}, attempt {Attempt}, failed ({State}): {Error}",
                delivery.Id, delivery.ChannelId, delivery.Attempt, recorded.State, outcome.Error);
        if (recorded.ChannelDisabled is { } disabled)
        {
            logger.LogWarning("Channel {ChannelId} of tenant {TenantId} is disabled: {Reason}", disabled.ChannelId, disabled.TenantId, disabled.Reason);
            try
            {
                await disabledNotice.SendAsync(disabled, ct);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogError(e, "Telling the owners of tenant {TenantId} that channel {ChannelId} was disabled failed", disabled.TenantId, disabled.ChannelId);
            }
        }
        return outcome.Delivered;
    }

    /// <summary>Renews the claim every third of a lease until stopped; a lost claim cancels the attempt.</summary>
    private async Task HeartbeatAsync(OutboxDelivery delivery, DeliveryOptions settings, CancellationTokenSource attempt, CancellationToken stop)
    {
        var interval = settings.Lease / 3;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(interval, time, stop);
                if (!await NotificationOutbox.RenewAsync(database, delivery, time.GetUtcNow(), settings.Lease, stop))
                {
                    await attempt.CancelAsync();
                    return;
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // One missed renewal is not fatal (the lease is three intervals long), and the attempt's outcome must still be written.
                logger.LogWarning("Renewing the claim of delivery {DeliveryId} failed: {Error}", delivery.Id, e.Message);
            }
        }
    }
}
