using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Npgsql;
using PulseStream.Http;
using PulseStream.Identity;
using PulseStream.Storage;

namespace PulseStream.Notifications.Deliveries;

/// <summary>
/// <c>GET /api/v1/deliveries</c> (Viewer): a tenant's deliveries newest first with every attempt, filtered by alert,
/// channel and state, cursor-paged. <c>POST /api/v1/deliveries/{id}/retry</c> (Admin, audited): a dead delivery gets
/// a new schedule from now, under the same delivery id; a superseded one never does.
/// </summary>
public sealed class DeliveryEndpoints(Database database, TimeProvider time)
{
    public const int MaxLimit = 100;

    public async Task<IActionResult> ListAsync(Caller caller, HttpRequest request, CancellationToken ct)
    {
        var errors = new List<FieldError>();
        var alertId = OptionalGuid(request, "alertId", errors);
        var channelId = OptionalGuid(request, "channelId", errors);
        var state = request.Query["state"].FirstOrDefault() is { Length: > 0 } s ? s : null;
        if (state is not null && !DeliveryQueries.States.Contains(state)) errors.Add(new FieldError("state", "state must be pending, delivered, dead or superseded."));
        DeliveryCursor? after = null;
        if (request.Query["cursor"].FirstOrDefault() is { Length: > 0 } cursor && (after = DeliveryCursor.Decode(cursor)) is null)
            errors.Add(new FieldError("cursor", "cursor must be the next value of a previous page."));
        if (errors.Count > 0) return ApiResults.BadRequest("invalid-query", "The query parameters are not valid.", errors);
        var (limit, invalidLimit) = QueryParameters.Int(request, "limit", 50, 1, MaxLimit);
        if (invalidLimit is not null) return invalidLimit;

        var items = await database.ForTenantAsync(caller.TenantId,
            (c, t) => DeliveryQueries.ListAsync(c, t, caller.TenantId, new DeliveryFilter(alertId, channelId, state, limit, after), ct), ct);
        var next = items.Count == limit ? new DeliveryCursor(items[^1].CreatedAt, items[^1].Id).Encode() : null;
        return ApiResults.Ok(new DeliveryPage(items, next));
    }

    public async Task<IActionResult> RetryAsync(Caller caller, string id, string? clientAddress, CancellationToken ct)
    {
        if (!Guid.TryParse(id, out var deliveryId)) return ApiResults.NotFound("No such delivery.");
        var now = time.GetUtcNow();
        var (refusal, state, view) = await database.ForTenantAsync<(RetryRefusal?, string, DeliveryView?)>(caller.TenantId, async (connection, transaction) =>
        {
            // A dead firing whose alert's resolution reached the channel since is superseded as well: replayed, it would
            // tell the receiver the resolved alert fires again.
            await using var select = new NpgsqlCommand("""
                SELECT o.status, c.disabled_at IS NOT NULL,
                       o.event_type <> 'alert.resolved' AND EXISTS (
                           SELECT 1 FROM notification_outbox r
                           WHERE r.tenant_id = o.tenant_id AND r.alert_id = o.alert_id AND r.channel_id = o.channel_id
                             AND r.event_type = 'alert.resolved' AND r.status = 'delivered')
                FROM notification_outbox o
                LEFT JOIN channels c ON c.tenant_id = o.tenant_id AND c.id = o.channel_id
                WHERE o.tenant_id = $1 AND o.id = $2 FOR UPDATE OF o
                """, connection, transaction);
            select.Parameters.AddWithValue(caller.TenantId);
            select.Parameters.AddWithValue(deliveryId);
            string current;
            bool disabled, resolvedSince;
            await using (var reader = await select.ExecuteReaderAsync(ct))
            {
                if (!await reader.ReadAsync(ct)) return (RetryRefusal.NotFound, "", null);
                (current, disabled, resolvedSince) = (reader.GetString(0), !reader.IsDBNull(1) && reader.GetBoolean(1), reader.GetBoolean(2));
            }
            if (current == "superseded" || (current == "dead" && resolvedSince)) return (RetryRefusal.Superseded, current, null);
            if (disabled) return (RetryRefusal.ChannelDisabled, current, null);
            if (current != "dead") return (RetryRefusal.NotDead, current, null);
            if (await NotificationOutbox.AtPendingLimitAsync(connection, transaction, caller.TenantId, ct)) return (RetryRefusal.PendingLimit, current, null);

            await using (var replay = new NpgsqlCommand("""
                UPDATE notification_outbox SET status = 'pending', attempts = 0, next_attempt_at = $3, claim_token = NULL, last_error = NULL
                WHERE tenant_id = $1 AND id = $2
                """, connection, transaction))
            {
                replay.Parameters.AddWithValue(caller.TenantId);
                replay.Parameters.AddWithValue(deliveryId);
                replay.Parameters.AddWithValue(now);
                await replay.ExecuteNonQueryAsync(ct);
            }
            await AuditLog.AppendAsync(connection, transaction, new AuditEntry(caller.TenantId, Actor.User(caller.UserId), "delivery.retry", "delivery",
                deliveryId.ToString(), new { previousState = current }, clientAddress), ct);
            var replayed = await DeliveryQueries.ListAsync(connection, transaction, caller.TenantId, new DeliveryFilter(null, null, null, 1, null), ct, deliveryId);
            return (null, "pending", replayed.Single());
        }, ct);

        return refusal switch
        {
            null => ApiResults.Accepted(view!),
            RetryRefusal.NotFound => ApiResults.NotFound("No such delivery."),
            RetryRefusal.Superseded => ApiResults.Problem(StatusCodes.Status409Conflict, "delivery-superseded", "The delivery is superseded.",
                "Its alert's alert.resolved was delivered to the channel after it; sent now, it would say a resolved alert fires again."),
            RetryRefusal.ChannelDisabled => ApiResults.Problem(StatusCodes.Status409Conflict, "channel-disabled", "The delivery's channel is disabled.",
                "Fix the channel and enable it before retrying its deliveries."),
            RetryRefusal.PendingLimit => ApiResults.Problem(StatusCodes.Status409Conflict, "pending-limit", "The tenant has too many deliveries waiting.",
                $"A tenant may have {NotificationOutbox.MaxPendingPerTenant} deliveries pending; retry once fewer are waiting."),
            _ => ApiResults.Problem(StatusCodes.Status409Conflict, "invalid-transition", "The delivery cannot be retried.",
                $"Only dead deliveries can be retried; this one is {state}."),
        };
    }

    private enum RetryRefusal { NotFound, Superseded, ChannelDisabled, NotDead, PendingLimit }

    private static Guid? OptionalGuid(HttpRequest request, string name, List<FieldError> errors)
    {
        if (request.Query[name].FirstOrDefault() is not { Length: > 0 } value) return null;
        if (Guid.TryParse(value, out var id)) return id;
        errors.Add(new FieldError(name, $"{name} must be an id."));
        return null;
    }
}
