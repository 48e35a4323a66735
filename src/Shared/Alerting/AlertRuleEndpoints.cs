using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Logging;
using Npgsql;
using PulseStream.Alerting.Escalation;
using PulseStream.Http;
using PulseStream.Identity;
using PulseStream.Realtime;

namespace PulseStream.Alerting;

/// <summary>
/// The alert-rule routes' application logic: list, read, create, replace, delete, enable and disable, scoped to the
/// caller's tenant. Alerts that a disable or delete resolves are pushed to the tenant's live dashboards once committed.
/// </summary>
public sealed class AlertRuleEndpoints(AlertRuleStore rules, AlertRuleChanges changes, EscalationPolicyStore policies, Slos.SloStore slos, IRealtimePublisher realtime,
    ILogger<AlertRuleEndpoints> logger)
{
    public async Task<IActionResult> ListAsync(Caller caller, CancellationToken ct)
    {
        var items = await rules.ListAsync(caller.TenantId, enabledOnly: false, ct);
        return ApiResults.Ok(new { items = items.Select(ToView) });
    }

    public async Task<IActionResult> GetAsync(Caller caller, string id, CancellationToken ct)
    {
        var rule = Guid.TryParse(id, out var ruleId) ? await rules.FindAsync(caller.TenantId, ruleId, ct) : null;
        return rule is null ? ApiResults.NotFound("No such rule.") : ApiResults.Ok(ToView(rule));
    }

    public async Task<IActionResult> CreateAsync(Caller caller, HttpRequest request, CancellationToken ct)
    {
        var (body, failure) = await ReadValidAsync(caller, request, ct);
        if (failure is not null) return failure;
        AlertRule? rule;
        int limit;
        try
        {
            (rule, limit) = await rules.CreateAsync(caller.TenantId, body!, ct,
                new AuditEntry(caller.TenantId, Actor.User(caller.UserId), "alert_rule.create", ClientAddress: AuditLog.ClientAddress(request)));
        }
        catch (PostgresException e) when (ChannelDeletedMeanwhile(e))
        {
            return ChannelsGone();
        }
        catch (PostgresException e) when (PolicyDeletedMeanwhile(e))
        {
            return PolicyGone();
        }
        catch (PostgresException e) when (SloDeletedMeanwhile(e))
        {
            return SloGone();
        }
        return rule is null
            ? ApiResults.Problem(StatusCodes.Status409Conflict, "rule-limit", "Too many rules.",
                $"The tenant has reached its rule limit (maxRules: {limit}); rules count whether enabled or not. Delete a rule, or ask an operator to raise the limit.")
            : ApiResults.Created(ToView(rule));
    }

    /// <summary><c>PUT /api/v1/alert-rules/{id}</c>: the whole body, validated as on create; disabling closes the rule's open alerts.</summary>
    public async Task<IActionResult> ReplaceAsync(Caller caller, string id, HttpRequest request, CancellationToken ct)
    {
        // Not found comes first: another tenant's id says nothing about the body it was sent with.
        if (!Guid.TryParse(id, out var ruleId) || await rules.FindAsync(caller.TenantId, ruleId, ct) is null) return ApiResults.NotFound("No such rule.");
        var (body, failure) = await ReadValidAsync(caller, request, ct);
        if (failure is not null) return failure;
        RuleChange? change;
        try
        {
            change = await changes.ReplaceAsync(caller, ruleId, body!, "alert_rule.update", AuditLog.ClientAddress(request), ct);
        }
        catch (PostgresException e) when (ChannelDeletedMeanwhile(e))
        {
            return ChannelsGone();
        }
        catch (PostgresException e) when (PolicyDeletedMeanwhile(e))
        {
            return PolicyGone();
        }
        catch (PostgresException e) when (SloDeletedMeanwhile(e))
        {
            return SloGone();
        }
        return await RespondAsync(caller, change, ct);
    }

    // A channel the body names was deleted between the check above and the write (migration 0020's trigger refused it).
    private static bool ChannelDeletedMeanwhile(PostgresException e) =>
        e.SqlState == PostgresErrorCodes.ForeignKeyViolation && e.ConstraintName == "alert_rules_channels_exist";

    // The escalation policy the body names was deleted between the check below and the write (migration 0022's trigger refused it).
    private static bool PolicyDeletedMeanwhile(PostgresException e) =>
        e.SqlState == PostgresErrorCodes.ForeignKeyViolation && e.ConstraintName == "alert_rules_escalation_policy_exists";

    // The SLO a burn-rate rule names was deleted between the check below and the write (migration 0033's trigger refused it).
    private static bool SloDeletedMeanwhile(PostgresException e) =>
        e.SqlState == PostgresErrorCodes.ForeignKeyViolation && e.ConstraintName == "alert_rules_slo_exists";

    private static IActionResult SloGone() => ApiResults.BadRequest("invalid-rule", "The SLO does not exist.",
        [new FieldError("condition.sloId", "The SLO the rule names was deleted meanwhile.")]);

    private static IActionResult PolicyGone() => ApiResults.BadRequest("invalid-rule", "The escalation policy does not exist.",
        [new FieldError("escalationPolicyId", "The escalation policy the rule names was deleted meanwhile.")]);

    private static IActionResult ChannelsGone() => ApiResults.BadRequest("invalid-rule", "Some channels do not exist.",
        [new FieldError("channelIds", "A channel the rule names was deleted meanwhile.")]);

    /// <summary><c>POST /api/v1/alert-rules/{id}/enable|disable</c>: the same as a PUT that changes only <c>enabled</c>.</summary>
    public async Task<IActionResult> SetEnabledAsync(Caller caller, string id, bool enabled, HttpRequest request, CancellationToken ct)
    {
        if (!Guid.TryParse(id, out var ruleId)) return ApiResults.NotFound("No such rule.");
        return await RespondAsync(caller, await changes.SetEnabledAsync(caller, ruleId, enabled, AuditLog.ClientAddress(request), ct), ct);
    }

    /// <summary><c>DELETE /api/v1/alert-rules/{id}</c>: 204; the rule's alerts stay, the open ones resolved.</summary>
    public async Task<IActionResult> DeleteAsync(Caller caller, string id, HttpRequest request, CancellationToken ct)
    {
        if (!Guid.TryParse(id, out var ruleId) || await changes.DeleteAsync(caller, ruleId, AuditLog.ClientAddress(request), ct) is not { } change)
            return ApiResults.NotFound("No such rule.");
        await PushAsync(caller.TenantId, change.Resolved, ct);
        return ApiResults.NoContent();
    }

    private async Task<IActionResult> RespondAsync(Caller caller, RuleChange? change, CancellationToken ct)
    {
        if (change?.After is not { } after) return ApiResults.NotFound("No such rule.");
        await PushAsync(caller.TenantId, change.Resolved, ct);
        return ApiResults.Ok(ToView(after));
    }

    /// <summary>
    /// Reads a rule body and checks it as every write does: the contract's fields, then the tenant's channels, escalation
    /// policy and SLO; answers it as stored (<see cref="AlertRuleValidator.Normalize"/>).
    /// </summary>
    internal async Task<(AlertRuleBody? Body, IActionResult? Failure)> ReadValidAsync(Caller caller, HttpRequest request, CancellationToken ct)
    {
        var (body, failure) = await JsonBodyReader.ReadAsAsync<AlertRuleBody>(request, ct);
        if (failure is not null) return (null, failure);
        var errors = AlertRuleValidator.Validate(body);
        if (errors.Count > 0) return (null, ApiResults.BadRequest("invalid-rule", "The rule is not valid.", errors));
        if (body!.ChannelIds is { Count: > 0 } channelIds && await rules.UnknownChannelsAsync(caller.TenantId, channelIds, ct) is { Count: > 0 } unknown)
            return (null, ApiResults.BadRequest("invalid-rule", "Some channels do not exist.", unknown.Select(id => new FieldError("channelIds", $"No channel {id}.")).ToList()));
        if (body.EscalationPolicyId is { } policyId && await policies.FindAsync(caller.TenantId, policyId, ct) is null)
            return (null, ApiResults.BadRequest("invalid-rule", "The escalation policy does not exist.", [new FieldError("escalationPolicyId", $"No escalation policy {policyId}.")]));
        if (body.Condition.SloId is { } sloId && await slos.FindAsync(caller.TenantId, sloId, ct) is null)
            return (null, ApiResults.BadRequest("invalid-rule", "The SLO does not exist.", [new FieldError("condition.sloId", $"No SLO {sloId}.")]));
        return (AlertRuleValidator.Normalize(body), null);
    }

    private async Task PushAsync(Guid tenantId, IReadOnlyList<AlertView> resolved, CancellationToken ct)
    {
        try
        {
            foreach (var alert in resolved) await realtime.SendToTenantAsync(tenantId, RealtimeTargets.Alert, alert, ct);
        }
        catch (HttpRequestException e)
        {
            // The change is committed and the resolve notifications are in the outbox; only the live push is lost.
            logger.LogWarning(e, "Pushing {Count} resolved alerts of tenant {TenantId} live failed", resolved.Count, tenantId);
        }
    }

    private static readonly System.Text.Json.JsonElement JsonNullValue = System.Text.Json.JsonDocument.Parse("null").RootElement;

    private static object ToView(AlertRule rule) => new
    {
        id = rule.Id,
        rule.Body.Name,
        rule.Body.Enabled,
        rule.Body.Severity,
        rule.Body.Condition,
        rule.Body.For,
        // Flap control and no data, with their defaults when the rule leaves them out.
        keepFiringFor = rule.Body.KeepFiringFor ?? "0s",
        noData = rule.Body.NoData ?? "ok",
        noDataFor = rule.Body.NoDataFor ?? rule.Body.Condition.Window,
        // Null (written, not left out) when off.
        flapDetection = (object?)rule.Body.FlapDetection ?? JsonNullValue,
        // Notification grouping, with its defaults.
        groupWait = rule.Body.GroupWait ?? Routing.GroupTiming.DefaultGroupWait,
        groupInterval = rule.Body.GroupInterval ?? Routing.GroupTiming.DefaultGroupInterval,
        repeatInterval = rule.Body.RepeatInterval ?? Routing.GroupTiming.DefaultRepeatInterval,
        channelIds = rule.Body.ChannelIds ?? [],
        rule.Body.EscalationPolicyId,
        rule.CreatedAt,
        rule.UpdatedAt,
        // How the last evaluation went (null until the rule was first evaluated).
        rule.Evaluation,
    };
}
