using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using PulseStream.Alerting.Routing;
using PulseStream.Identity;

namespace PulseStream.Functions.Alerts;

/// <summary>Silences over HTTP: Admin lists, creates and expires; a Viewer may preview (it shows only the open alerts a Viewer already sees); the tenant comes from the token.</summary>
public sealed class SilenceHttpFunctions(CallerAuthenticator auth, SilenceEndpoints silences)
{
    [Function(nameof(ListSilences))]
    public Task<IActionResult> ListSilences([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "v1/silences")] HttpRequest request) =>
        auth.RunAsync(request, Role.Admin, caller => silences.ListAsync(caller, request.HttpContext.RequestAborted));

    [Function(nameof(GetSilence))]
    public Task<IActionResult> GetSilence([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "v1/silences/{id}")] HttpRequest request, string id) =>
        auth.RunAsync(request, Role.Admin, caller => silences.GetAsync(caller, id, request.HttpContext.RequestAborted));

    [Function(nameof(CreateSilence))]
    public Task<IActionResult> CreateSilence([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "v1/silences")] HttpRequest request) =>
        auth.RunAsync(request, Role.Admin, caller => silences.CreateAsync(caller, request, request.HttpContext.RequestAborted));

    [Function(nameof(ExpireSilence))]
    public Task<IActionResult> ExpireSilence([HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "v1/silences/{id}")] HttpRequest request, string id) =>
        auth.RunAsync(request, Role.Admin, caller => silences.ExpireAsync(caller, id, request, request.HttpContext.RequestAborted));

    [Function(nameof(PreviewSilence))]
    public Task<IActionResult> PreviewSilence([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "v1/silences/preview")] HttpRequest request) =>
        auth.RunAsync(request, Role.Viewer, caller => silences.PreviewAsync(caller, request, request.HttpContext.RequestAborted));
}
