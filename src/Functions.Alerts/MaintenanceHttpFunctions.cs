using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using PulseStream.Alerting.Maintenance;
using PulseStream.Identity;

namespace PulseStream.Functions.Alerts;

/// <summary>Maintenance windows over HTTP: a Viewer reads them and their occurrences, an Admin creates, replaces and deletes them; the tenant comes from the token.</summary>
public sealed class MaintenanceHttpFunctions(CallerAuthenticator auth, MaintenanceWindowEndpoints windows)
{
    [Function(nameof(ListMaintenanceWindows))]
    public Task<IActionResult> ListMaintenanceWindows([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "v1/maintenance-windows")] HttpRequest request) =>
        auth.RunAsync(request, Role.Viewer, caller => windows.ListAsync(caller, request.HttpContext.RequestAborted));

    [Function(nameof(GetMaintenanceWindow))]
    public Task<IActionResult> GetMaintenanceWindow([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "v1/maintenance-windows/{id}")] HttpRequest request, string id) =>
        auth.RunAsync(request, Role.Viewer, caller => windows.GetAsync(caller, id, request.HttpContext.RequestAborted));

    [Function(nameof(ListMaintenanceOccurrences))]
    public Task<IActionResult> ListMaintenanceOccurrences([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "v1/maintenance-windows/{id}/occurrences")] HttpRequest request, string id) =>
        auth.RunAsync(request, Role.Viewer, caller => windows.OccurrencesAsync(caller, id, request, request.HttpContext.RequestAborted));

    [Function(nameof(CreateMaintenanceWindow))]
    public Task<IActionResult> CreateMaintenanceWindow([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "v1/maintenance-windows")] HttpRequest request) =>
        auth.RunAsync(request, Role.Admin, caller => windows.CreateAsync(caller, request, request.HttpContext.RequestAborted));

    [Function(nameof(ReplaceMaintenanceWindow))]
    public Task<IActionResult> ReplaceMaintenanceWindow([HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = "v1/maintenance-windows/{id}")] HttpRequest request, string id) =>
        auth.RunAsync(request, Role.Admin, caller => windows.ReplaceAsync(caller, id, request, request.HttpContext.RequestAborted));

    [Function(nameof(DeleteMaintenanceWindow))]
    public Task<IActionResult> DeleteMaintenanceWindow([HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "v1/maintenance-windows/{id}")] HttpRequest request, string id) =>
        auth.RunAsync(request, Role.Admin, caller => windows.DeleteAsync(caller, id, request, request.HttpContext.RequestAborted));
}
