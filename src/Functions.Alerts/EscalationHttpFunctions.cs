using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using PulseStream.Alerting.Escalation;
using PulseStream.Identity;

namespace PulseStream.Functions.Alerts;

/// <summary>Escalation policies over HTTP, Admin only (they name channels and members); the tenant comes from the token.</summary>
public sealed class EscalationHttpFunctions(CallerAuthenticator auth, EscalationPolicyEndpoints policies)
{
    [Function(nameof(ListEscalationPolicies))]
    public Task<IActionResult> ListEscalationPolicies([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "v1/escalation-policies")] HttpRequest request) =>
        auth.RunAsync(request, Role.Admin, caller => policies.ListAsync(caller, request.HttpContext.RequestAborted));

    [Function(nameof(GetEscalationPolicy))]
    public Task<IActionResult> GetEscalationPolicy([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "v1/escalation-policies/{id}")] HttpRequest request, string id) =>
        auth.RunAsync(request, Role.Admin, caller => policies.GetAsync(caller, id, request.HttpContext.RequestAborted));

    [Function(nameof(CreateEscalationPolicy))]
    public Task<IActionResult> CreateEscalationPolicy([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "v1/escalation-policies")] HttpRequest request) =>
        auth.RunAsync(request, Role.Admin, caller => policies.CreateAsync(caller, request, request.HttpContext.RequestAborted));

    [Function(nameof(ReplaceEscalationPolicy))]
    public Task<IActionResult> ReplaceEscalationPolicy([HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = "v1/escalation-policies/{id}")] HttpRequest request, string id) =>
        auth.RunAsync(request, Role.Admin, caller => policies.ReplaceAsync(caller, id, request, request.HttpContext.RequestAborted));

    [Function(nameof(DeleteEscalationPolicy))]
    public Task<IActionResult> DeleteEscalationPolicy([HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "v1/escalation-policies/{id}")] HttpRequest request, string id) =>
        auth.RunAsync(request, Role.Admin, caller => policies.DeleteAsync(caller, id, request, request.HttpContext.RequestAborted));
}
