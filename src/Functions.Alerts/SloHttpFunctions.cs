using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using PulseStream.Identity;
using PulseStream.Slos;

namespace PulseStream.Functions.Alerts;

/// <summary>SLOs over HTTP: a Viewer reads them, their status, series and per-consumer status; an Admin creates, replaces and deletes them.</summary>
public sealed class SloHttpFunctions(CallerAuthenticator auth, SloEndpoints slos)
{
    [Function(nameof(ListSlos))]
    public Task<IActionResult> ListSlos([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "v1/slos")] HttpRequest request) =>
        auth.RunAsync(request, Role.Viewer, caller => slos.ListAsync(caller, request.HttpContext.RequestAborted));

    [Function(nameof(GetSlo))]
    public Task<IActionResult> GetSlo([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "v1/slos/{id}")] HttpRequest request, string id) =>
        auth.RunAsync(request, Role.Viewer, caller => slos.GetAsync(caller, id, request.HttpContext.RequestAborted));

    [Function(nameof(GetSloStatus))]
    public Task<IActionResult> GetSloStatus([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "v1/slos/{id}/status")] HttpRequest request, string id) =>
        auth.RunAsync(request, Role.Viewer, caller => slos.StatusAsync(caller, id, request.HttpContext.RequestAborted));

    [Function(nameof(GetSloSeries))]
    public Task<IActionResult> GetSloSeries([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "v1/slos/{id}/series")] HttpRequest request, string id) =>
        auth.RunAsync(request, Role.Viewer, caller => slos.SeriesAsync(caller, id, request, request.HttpContext.RequestAborted));

    [Function(nameof(GetSloConsumers))]
    public Task<IActionResult> GetSloConsumers([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "v1/slos/{id}/consumers")] HttpRequest request, string id) =>
        auth.RunAsync(request, Role.Viewer, caller => slos.ConsumersAsync(caller, id, request.HttpContext.RequestAborted));

    [Function(nameof(CreateSlo))]
    public Task<IActionResult> CreateSlo([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "v1/slos")] HttpRequest request) =>
        auth.RunAsync(request, Role.Admin, caller => slos.CreateAsync(caller, request, request.HttpContext.RequestAborted));

    [Function(nameof(ReplaceSlo))]
    public Task<IActionResult> ReplaceSlo([HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = "v1/slos/{id}")] HttpRequest request, string id) =>
        auth.RunAsync(request, Role.Admin, caller => slos.ReplaceAsync(caller, id, request, request.HttpContext.RequestAborted));

    [Function(nameof(DeleteSlo))]
    public Task<IActionResult> DeleteSlo([HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "v1/slos/{id}")] HttpRequest request, string id) =>
        auth.RunAsync(request, Role.Admin, caller => slos.DeleteAsync(caller, id, request, request.HttpContext.RequestAborted));
}
