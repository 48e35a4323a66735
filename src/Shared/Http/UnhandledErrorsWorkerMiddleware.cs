using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Middleware;
using Microsoft.Extensions.Logging;

namespace PulseStream.Http;

/// <summary>
/// The function apps' answer to an HTTP function that throws: the same problem as the local host gives
/// (<see cref="UnhandledErrors"/>), written to the invocation's <c>HttpContext</c> (ASP.NET Core integration), so no
/// exception detail reaches the client in Azure either. Registered in each app's <c>Program.cs</c> after
/// <c>ConfigureFunctionsWebApplication</c>, so it runs inside the HTTP proxying middleware. Other triggers' exceptions
/// pass through: the Event Hub and timer triggers' retries depend on them.
/// </summary>
public sealed class UnhandledErrorsWorkerMiddleware(ILogger<UnhandledErrorsWorkerMiddleware> logger) : IFunctionsWorkerMiddleware
{
    public async Task Invoke(FunctionContext context, FunctionExecutionDelegate next)
    {
        if (context.GetHttpContext() is not { } http)
        {
            await next(context);
            return;
        }
        try
        {
            await next(context);
        }
        catch (Exception e)
        {
            await UnhandledErrors.HandleAsync(http, e, logger);
        }
    }
}
