using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using PulseStream.Identity;
using PulseStream.Notifications.Channels;

namespace PulseStream.Functions.Alerts;

/// <summary>Notification channels over HTTP: Admin only; the tenant comes from the token.</summary>
public sealed class ChannelHttpFunctions(CallerAuthenticator auth, ChannelEndpoints channels)
{
    [Function(nameof(ListChannels))]
    public Task<IActionResult> ListChannels([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "v1/channels")] HttpRequest request) =>
        auth.RunAsync(request, Role.Admin, caller => channels.ListAsync(caller, request.HttpContext.RequestAborted));

    [Function(nameof(CreateChannel))]
    public Task<IActionResult> CreateChannel([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "v1/channels")] HttpRequest request) =>
        auth.RunAsync(request, Role.Admin, caller => channels.CreateAsync(caller, request, request.HttpContext.RequestAborted));

    [Function(nameof(UpdateChannel))]
    public Task<IActionResult> UpdateChannel([HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = "v1/channels/{id}")] HttpRequest request, string id) =>
        auth.RunAsync(request, Role.Admin, caller => channels.UpdateAsync(caller, id, request, request.HttpContext.RequestAborted));

    [Function(nameof(DeleteChannel))]
    public Task<IActionResult> DeleteChannel([HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "v1/channels/{id}")] HttpRequest request, string id) =>
        auth.RunAsync(request, Role.Admin, caller => channels.DeleteAsync(caller, id, request, request.HttpContext.RequestAborted));

    [Function(nameof(TestChannel))]
    public Task<IActionResult> TestChannel([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "v1/channels/{id}/test")] HttpRequest request, string id) =>
        auth.RunAsync(request, Role.Admin, caller => channels.TestAsync(caller, id, request, request.HttpContext.RequestAborted));

    [Function(nameof(RotateChannelSecret))]
    public Task<IActionResult> RotateChannelSecret([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "v1/channels/{id}/rotate-secret")] HttpRequest request, string id) =>
        auth.RunAsync(request, Role.Admin, caller => channels.RotateSecretAsync(caller, id, request, request.HttpContext.RequestAborted));
}
