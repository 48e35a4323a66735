using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Npgsql;
using PulseStream.Alerting.Routing;
using PulseStream.Http;
using PulseStream.Identity;
using PulseStream.Notifications;
using PulseStream.Realtime;
using PulseStream.Storage;

namespace PulseStream.Alerting;

/// <summary>The optional body of a manual resolve: why (at most <see cref="AlertLifecycle.MaxReasonLength"/> characters).</summary>
public sealed record ResolveRequest(string? Reason);

/// <summary>
/// People acting on alerts. Anyone may acknowledge a firing alert (it stops its escalation, not its resolution); an
/// Admin may resolve a firing or acknowledged one. Each is one transaction under the tenant's evaluation lock (so an
/// evaluation never overwrites it half-way), with its timeline entry, its audit entry and its notifications
/// (<c>alert.acknowledged</c>, <c>alert.resolved</c>) to the rule's channels; the live feed is told after commit. A
/// manual resolve closes this alert only: if the condition still holds, the next evaluation opens a new alert (as
/// Prometheus and PagerDuty do), which notifies again.
/// </summary>
public sealed class AlertLifecycle(Database database, IRealtimePublisher realtime, TimeProvider time, ILogger<AlertLifecycle> logger)
{
    public const int MaxReasonLength = 500;
    public const string ResolvedManually = "resolved manually";

    /// <summary>What a person does to an alert: the states it may come from, the state it goes to, its timeline kind and audit action.</summary>
    private sealed record PersonAction(string Kind, string[] From, string To, string AuditAction, string Verb, string? Reason);

    public Task<IActionResult> AcknowledgeAsync(Caller caller, string id, string? clientAddress, CancellationToken ct) =>
        ActAsync(caller, id, new PersonAction("ack", ["firing"], "acknowledged", "alert.ack", "acknowledged", null), clientAddress, ct);

    public async Task<IActionResult> ResolveAsync(Caller caller, string id, HttpRequest request, CancellationToken ct)
    {
        string? reason = null;
        if (request.ContentLength > 0 || request.Headers.TransferEncoding.Count > 0)
        {
            var (body, failure) = await JsonBodyReader.ReadAsAsync<ResolveRequest>(request, ct, maxBytes: 8 * 1024);
            if (failure is not null) return failure;
            reason = string.IsNullOrWhiteSpace(body!.Reason) ? null : body.Reason.Trim();
            if (reason is { Length: > MaxReasonLength } || (reason is not null && reason.Any(char.IsControl)))
                return ApiResults.BadRequest("invalid-resolve", "The resolve is not valid.",
                    [new FieldError("reason", $"At most {MaxReasonLength} characters, on one line.")]);
        }
        return await ActAsync(caller, id, new PersonAction("resolve", ["firing", "acknowledged"], "resolved", "alert.resolve", "resolved", reason ?? ResolvedManually),
            AuditLog.ClientAddress(request), ct);
    }

    private async Task<IActionResult> ActAsync(Caller caller, string id, PersonAction action, string? clientAddress, CancellationToken ct)
    {
        if (!Guid.TryParse(id, out var alertId)) return ApiResults.NotFound("No such alert.");
        var (found, before, view) = await database.ForTenantAsync(caller.TenantId, async (connection, transaction) =>
        {
            // The evaluation's lock: an evaluation that read this alert as open does not write over what a person did.
            await using (var lockTenant = new NpgsqlCommand("SELECT pg_advisory_xact_lock(hashtextextended('alerts:' || $1::text, 0))", connection, transaction))
            {
                lockTenant.Parameters.AddWithValue(caller.TenantId.ToString());
                await lockTenant.ExecuteNonQueryAsync(ct);
            }
            await using var select = new NpgsqlCommand("SELECT state, rule_id FROM alerts WHERE tenant_id = $1 AND id = $2 FOR UPDATE", connection, transaction);
            select.Parameters.AddWithValue(caller.TenantId);
            select.Parameters.AddWithValue(alertId);
            string current;
            Guid ruleId;
            await using (var reader = await select.ExecuteReaderAsync(ct))
            {
                if (!await reader.ReadAsync(ct)) return (false, "", (AlertView?)null);
                current = reader.GetString(0);
                ruleId = reader.GetGuid(1);
            }
            if (!action.From.Contains(current)) return (true, current, null);

            var now = time.GetUtcNow();
            await using (var update = new NpgsqlCommand(action.Kind == "ack"
                ? "UPDATE alerts SET state = 'acknowledged', acknowledged_at = $3, acknowledged_by = $4, updated_at = $3 WHERE tenant_id = $1 AND id = $2"
                : "UPDATE alerts SET state = 'resolved', resolved_at = $3, resolved_by = $4, resolved_reason = $5, updated_at = $3 WHERE tenant_id = $1 AND id = $2",
                connection, transaction))
            {
                update.Parameters.AddWithValue(caller.TenantId);
                update.Parameters.AddWithValue(alertId);
                update.Parameters.AddWithValue(now);
                update.Parameters.AddWithValue(caller.UserId);
                update.Parameters.Add(new NpgsqlParameter { Value = (object?)action.Reason ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
                await update.ExecuteNonQueryAsync(ct);
            }
            await AlertTimeline.AppendAsync(connection, transaction, caller.TenantId, alertId, now, action.Kind, action.To, null, caller.UserId, action.Reason, ct);
            await AuditLog.AppendAsync(connection, transaction, new AuditEntry(caller.TenantId, Actor.User(caller.UserId), action.AuditAction, "alert", alertId.ToString(),
                new { before = new { state = current }, after = new { state = action.To, reason = action.Reason } }, clientAddress), ct);
            var changed = (await AlertQueries.FindAsync(connection, transaction, caller.TenantId, alertId, now, ct))!;
            var channels = (await RuleChannels.ReadAsync(connection, transaction, caller.TenantId, [ruleId], ct)).GetValueOrDefault(ruleId) ?? [];
            await AlertNotices.EnqueueAsync(connection, transaction, caller.TenantId, channels, [changed], now, ct);
            return (true, current, changed);
        }, ct);
        if (!found) return ApiResults.NotFound("No such alert.");
        if (view is null)
            return ApiResults.Problem(StatusCodes.Status409Conflict, "invalid-transition", $"The alert cannot be {action.Verb}.",
                $"Only {string.Join(" or ", action.From)} alerts can be {action.Verb}; this one is {before}.");

        try
        {
            await realtime.SendToTenantAsync(caller.TenantId, RealtimeTargets.Alert, view, ct);
        }
        catch (HttpRequestException e)
        {
            // The change is committed and notified through the outbox; only the live push is lost.
            logger.LogWarning(e, "Pushing alert {AlertId} {State} live failed", alertId, view.State);
        }
        return ApiResults.Ok(view);
    }
}

/// <summary>Registers the alert lifecycle's services: lists and timelines, acknowledge and resolve, the summary.</summary>
public static class AlertLifecycleServices
{
    public static IServiceCollection AddAlertLifecycle(this IServiceCollection services)
    {
        services.TryAddSingleton<AlertQueries>();
        services.TryAddSingleton<AlertLifecycle>();
        services.TryAddSingleton<AlertSummaryQuery>();
        return services;
    }
}
