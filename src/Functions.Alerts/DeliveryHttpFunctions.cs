using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using PulseStream.Identity;
using PulseStream.Notifications.Deliveries;

namespace PulseStream.Functions.Alerts;

/// <summary>Notification deliveries over HTTP: Viewer reads them with their attempts, Admin replays a dead one.</summary>
public sealed class DeliveryHttpFunctions(CallerAuthenticator auth, DeliveryEndpoints deliveries)
{
    [Function(nameof(ListDeliveries))]
    public Task<IActionResult> ListDeliveries([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "v1/deliveries")] HttpRequest request) =>
        auth.RunAsync(request, Role.Viewer, caller => deliveries.ListAsync(caller, request, request.HttpContext.RequestAborted));

    [Function(nameof(RetryDelivery))]
    public Task<IActionResult> RetryDelivery([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "v1/deliveries/{id}/retry")] HttpRequest request, string id) =>
        auth.RunAsync(request, Role.Admin, caller => deliveries.RetryAsync(caller, id, AuditLog.ClientAddress(request), request.HttpContext.RequestAborted));
}
