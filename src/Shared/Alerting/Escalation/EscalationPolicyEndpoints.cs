using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Npgsql;
using PulseStream.Http;
using PulseStream.Identity;

namespace PulseStream.Alerting.Escalation;

/// <summary>The escalation-policy routes' application logic, scoped to the caller's tenant: Viewer reads, Admin writes.</summary>
public sealed class EscalationPolicyEndpoints(EscalationPolicyStore store)
{
    private const long MaxBodyBytes = 32 * 1024;

    public async Task<IActionResult> ListAsync(Caller caller, CancellationToken ct) =>
        ApiResults.Ok(new { items = (await store.ListAsync(caller.TenantId, ct)).Select(View) });

    public async Task<IActionResult> GetAsync(Caller caller, string id, CancellationToken ct) =>
        Guid.TryParse(id, out var policyId) && await store.FindAsync(caller.TenantId, policyId, ct) is { } policy
            ? ApiResults.Ok(View(policy))
            : NotFound();

    public async Task<IActionResult> CreateAsync(Caller caller, HttpRequest request, CancellationToken ct)
    {
        var (body, failure) = await ReadValidAsync(request, ct);
        if (failure is not null) return failure;
        return await AnswerAsync(() => store.CreateAsync(caller.TenantId, body!, Audit(caller, request, "escalation_policy.create"), ct), created: true);
    }

    /// <summary><c>PUT .../{id}</c>: the whole body, validated as on create. Not found comes first: another tenant's id says nothing about the body.</summary>
    public async Task<IActionResult> ReplaceAsync(Caller caller, string id, HttpRequest request, CancellationToken ct)
    {
        if (!Guid.TryParse(id, out var policyId) || await store.FindAsync(caller.TenantId, policyId, ct) is null) return NotFound();
        var (body, failure) = await ReadValidAsync(request, ct);
        if (failure is not null) return failure;
        return await AnswerAsync(() => store.ReplaceAsync(caller.TenantId, policyId, body!, Audit(caller, request, "escalation_policy.update"), ct), created: false);
    }

    public async Task<IActionResult> DeleteAsync(Caller caller, string id, HttpRequest request, CancellationToken ct)
    {
        if (!Guid.TryParse(id, out var policyId)) return NotFound();
        var (result, usedBy) = await store.DeleteAsync(caller.TenantId, policyId, Audit(caller, request, "escalation_policy.delete"), ct);
        return result switch
        {
            EscalationPolicyStore.DeleteResult.Deleted => ApiResults.NoContent(),
            EscalationPolicyStore.DeleteResult.InUse => ApiResults.Problem(StatusCodes.Status409Conflict, "escalation-policy-in-use", "The escalation policy is in use.",
                $"Rules still name this policy: {string.Join(", ", usedBy)}. Change their escalationPolicyId first."),
            _ => NotFound(),
        };
    }

    private static async Task<IActionResult> AnswerAsync(Func<Task<PolicyWrite>> write, bool created)
    {
        PolicyWrite outcome;
        try
        {
            outcome = await write();
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation && e.ConstraintName == "escalation_policies_name_key")
        {
            // A rename raced another write to the same name; the index refused the second.
            outcome = new PolicyWrite(PolicyWriteOutcome.NameTaken);
        }
        return outcome.Outcome switch
        {
            PolicyWriteOutcome.Written => created ? ApiResults.Created(View(outcome.Policy!)) : ApiResults.Ok(View(outcome.Policy!)),
            PolicyWriteOutcome.UnknownTargets => ApiResults.BadRequest("invalid-escalation-policy", "Some channels or members are not the tenant's.", outcome.Errors),
            PolicyWriteOutcome.NameTaken => ApiResults.Problem(StatusCodes.Status409Conflict, "escalation-policy-name-taken", "The name is taken.",
                "Another escalation policy of the tenant has this name."),
            PolicyWriteOutcome.Limit => ApiResults.Problem(StatusCodes.Status409Conflict, "escalation-policy-limit", "Too many escalation policies.",
                $"The tenant has reached its escalation-policy limit ({EscalationPolicyStore.MaxPolicies}). Delete a policy first."),
            _ => NotFound(),
        };
    }

    private static async Task<(EscalationPolicyBody? Body, IActionResult? Failure)> ReadValidAsync(HttpRequest request, CancellationToken ct)
    {
        var (body, failure) = await JsonBodyReader.ReadAsAsync<EscalationPolicyBody>(request, ct, MaxBodyBytes);
        if (failure is not null) return (null, failure);
        var errors = EscalationPolicyValidator.Validate(body);
        if (errors.Count > 0) return (null, ApiResults.BadRequest("invalid-escalation-policy", "The escalation policy is not valid.", errors));
        return (Normalised(body!), null);
    }

    // Stored as read back: the name trimmed, repeat 0 when left out, every step with both lists.
    private static EscalationPolicyBody Normalised(EscalationPolicyBody body) => new(
        body.Name!.Trim(),
        body.Steps!.Select(s => new EscalationStep(s.Delay, s.ChannelIds ?? [], s.UserIds ?? [])).ToList(),
        body.Repeat ?? 0,
        body.AckTimeout);

    private static EscalationPolicyView View(EscalationPolicy policy) => new(
        policy.Id, policy.Body.Name!,
        (policy.Body.Steps ?? []).Select(s => new EscalationStep(s.Delay, s.ChannelIds ?? [], s.UserIds ?? [])).ToList(),
        policy.Body.Repeat ?? 0, policy.Body.AckTimeout, policy.CreatedAt, policy.UpdatedAt);

    private static JsonBodyResult NotFound() => ApiResults.NotFound("No such escalation policy.");

    private static AuditEntry Audit(Caller caller, HttpRequest request, string action) =>
        new(caller.TenantId, Actor.User(caller.UserId), action, ClientAddress: AuditLog.ClientAddress(request));
}

/// <summary>A policy as the API answers it; <c>ackTimeout</c> is written even when null, so a client sees there is none.</summary>
public sealed record EscalationPolicyView(
    Guid Id, string Name, IReadOnlyList<EscalationStep> Steps, int Repeat,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.Never)] string? AckTimeout,
    DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);
