using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using PulseStream.Http;
using PulseStream.Identity;

namespace PulseStream.Alerting;

/// <summary>The alert-rule routes' application logic: list, read and create, scoped to the caller's tenant.</summary>
public sealed class AlertRuleEndpoints(AlertRuleStore rules)
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
        var (body, failure) = await JsonBodyReader.ReadAsAsync<AlertRuleBody>(request, ct);
        if (failure is not null) return failure;
        var errors = AlertRuleValidator.Validate(body);
        if (errors.Count > 0) return ApiResults.BadRequest("invalid-rule", "The rule is not valid.", errors);
        if (body!.ChannelIds is { Count: > 0 } channelIds && await rules.UnknownChannelsAsync(caller.TenantId, channelIds, ct) is { Count: > 0 } unknown)
            return ApiResults.BadRequest("invalid-rule", "Some channels do not exist.", unknown.Select(id => new FieldError("channelIds", $"No channel {id}.")).ToList());
        var (rule, limit) = await rules.CreateAsync(caller.TenantId, body, ct,
            new AuditEntry(caller.TenantId, Actor.User(caller.UserId), "alert_rule.create", ClientAddress: AuditLog.ClientAddress(request)));
        return rule is null
            ? ApiResults.Problem(StatusCodes.Status409Conflict, "rule-limit", "Too many rules.",
                $"The tenant has reached its rule limit (maxRules: {limit}); rules count whether enabled or not. Delete a rule, or ask an operator to raise the limit.")
            : ApiResults.Created(ToView(rule));
    }

    private static object ToView(AlertRule rule) => new
    {
        id = rule.Id,
        rule.Body.Name,
        rule.Body.Enabled,
        rule.Body.Severity,
        rule.Body.Condition,
        rule.Body.For,
        channelIds = rule.Body.ChannelIds ?? [],
        rule.Body.EscalationPolicyId,
        rule.CreatedAt,
        rule.UpdatedAt,
        // How the last evaluation went (null until the rule was first evaluated).
        rule.Evaluation,
    };
}
