using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using PulseStream.Alerting;
using PulseStream.Identity;

namespace PulseStream.Functions.Alerts;

/// <summary>Alert rules over HTTP: Viewer reads and previews, Admin writes; the tenant comes from the token.</summary>
public sealed class AlertRuleHttpFunctions(CallerAuthenticator auth, AlertRuleEndpoints rules, RulePreviewEndpoints preview, Anomalies.AnomalyBaselineEndpoints baselines)
{
    [Function(nameof(ListAlertRules))]
    public Task<IActionResult> ListAlertRules([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "v1/alert-rules")] HttpRequest request) =>
        auth.RunAsync(request, Role.Viewer, caller => rules.ListAsync(caller, request.HttpContext.RequestAborted));

    [Function(nameof(GetAlertRule))]
    public Task<IActionResult> GetAlertRule([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "v1/alert-rules/{id}")] HttpRequest request, string id) =>
        auth.RunAsync(request, Role.Viewer, caller => rules.GetAsync(caller, id, request.HttpContext.RequestAborted));

    [Function(nameof(GetAlertRuleBaselines))]
    public Task<IActionResult> GetAlertRuleBaselines([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "v1/alert-rules/{id}/baselines")] HttpRequest request, string id) =>
        auth.RunAsync(request, Role.Viewer, caller => baselines.GetAsync(caller, id, request.HttpContext.RequestAborted));

    [Function(nameof(CreateAlertRule))]
    public Task<IActionResult> CreateAlertRule([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "v1/alert-rules")] HttpRequest request) =>
        auth.RunAsync(request, Role.Admin, caller => rules.CreateAsync(caller, request, request.HttpContext.RequestAborted));

    [Function(nameof(ReplaceAlertRule))]
    public Task<IActionResult> ReplaceAlertRule([HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = "v1/alert-rules/{id}")] HttpRequest request, string id) =>
        auth.RunAsync(request, Role.Admin, caller => rules.ReplaceAsync(caller, id, request, request.HttpContext.RequestAborted));

    [Function(nameof(DeleteAlertRule))]
    public Task<IActionResult> DeleteAlertRule([HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "v1/alert-rules/{id}")] HttpRequest request, string id) =>
        auth.RunAsync(request, Role.Admin, caller => rules.DeleteAsync(caller, id, request, request.HttpContext.RequestAborted));

    [Function(nameof(EnableAlertRule))]
    public Task<IActionResult> EnableAlertRule([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "v1/alert-rules/{id}/enable")] HttpRequest request, string id) =>
        auth.RunAsync(request, Role.Admin, caller => rules.SetEnabledAsync(caller, id, true, request, request.HttpContext.RequestAborted));

    [Function(nameof(DisableAlertRule))]
    public Task<IActionResult> DisableAlertRule([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "v1/alert-rules/{id}/disable")] HttpRequest request, string id) =>
        auth.RunAsync(request, Role.Admin, caller => rules.SetEnabledAsync(caller, id, false, request, request.HttpContext.RequestAborted));

    [Function(nameof(PreviewAlertRule))]
    public Task<IActionResult> PreviewAlertRule([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "v1/alert-rules/preview")] HttpRequest request) =>
        auth.RunAsync(request, Role.Viewer, caller => preview.PreviewAsync(caller, request, request.HttpContext.RequestAborted));
}
