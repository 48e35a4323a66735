using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using PulseStream.Operations;

namespace PulseStream.Functions.Alerts;

/// <summary>The operator's dead-letter routes (<c>X-Operator-Key</c>; off unless <c>Operations__OperatorKey</c> is set).</summary>
public sealed class DeadLetterFunctions(DeadLetterEndpoints deadLetters)
{
    [Function(nameof(ListDeadLetters))]
    public Task<IActionResult> ListDeadLetters([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "admin/dead-letters")] HttpRequest request) =>
        deadLetters.ListAsync(request, request.HttpContext.RequestAborted);

    [Function(nameof(ReplayDeadLetters))]
    public Task<IActionResult> ReplayDeadLetters([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "admin/dead-letters/replay")] HttpRequest request) =>
        deadLetters.ReplayAsync(request, request.HttpContext.RequestAborted);
}
