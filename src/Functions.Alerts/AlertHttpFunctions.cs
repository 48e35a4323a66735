using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using PulseStream.Alerting;
using PulseStream.Hosting;
using PulseStream.Identity;

namespace PulseStream.Functions.Alerts;

/// <summary>Alerts over HTTP: Viewer reads, Admin resolves; the tenant comes from the token (rules: AlertRuleHttpFunctions).</summary>
public sealed class AlertHttpFunctions(CallerAuthenticator auth, AlertQueries alerts, AlertLifecycle lifecycle, AlertSummaryQuery summary, Health health)
{
    [Function(nameof(ListAlerts))]
    public Task<IActionResult> ListAlerts([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "v1/alerts")] HttpRequest request) =>
        auth.RunAsync(request, Role.Viewer, caller => alerts.ListAsync(caller, request, request.HttpContext.RequestAborted));

    [Function(nameof(GetAlertSummary))]
    public Task<IActionResult> GetAlertSummary([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "v1/alerts/summary")] HttpRequest request) =>
        auth.RunAsync(request, Role.Viewer, caller => summary.GetAsync(caller, request, request.HttpContext.RequestAborted));

    [Function(nameof(GetAlert))]
    public Task<IActionResult> GetAlert([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "v1/alerts/{id}")] HttpRequest request, string id) =>
        auth.RunAsync(request, Role.Viewer, caller => alerts.GetAsync(caller, id, request.HttpContext.RequestAborted));

    [Function(nameof(ResolveAlert))]
    public Task<IActionResult> ResolveAlert([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "v1/alerts/{id}/resolve")] HttpRequest request, string id) =>
        auth.RunAsync(request, Role.Admin, caller => lifecycle.ResolveAsync(caller, id, request, request.HttpContext.RequestAborted));

    [Function(nameof(AcknowledgeAlert))]
    public Task<IActionResult> AcknowledgeAlert([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "v1/alerts/{id}/ack")] HttpRequest request, string id) =>
        auth.RunAsync(request, Role.Viewer, caller => lifecycle.AcknowledgeAsync(caller, id, AuditLog.ClientAddress(request), request.HttpContext.RequestAborted));

    [Function("AlertsHealth")]
    public Task<IActionResult> HealthCheck([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "health")] HttpRequest request) =>
        health.CheckAsync("alerts", request.HttpContext.RequestAborted);
}
