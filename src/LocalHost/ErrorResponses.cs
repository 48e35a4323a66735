using PulseStream.Http;

namespace PulseStream.LocalHost;

/// <summary>
/// The local host's outermost middleware, around routing, the function routes, the SignalR surface and the local
/// endpoints: an exception nobody handled, and an error status that went out without a body (no route, wrong method,
/// a bare 401), become the problem answers of <see cref="UnhandledErrors"/>, the same the function apps give in Azure.
/// </summary>
public sealed class ErrorResponseMiddleware(RequestDelegate next, ILogger<ErrorResponseMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        try
        {
            await next(context);
        }
        catch (Exception e)
        {
            await UnhandledErrors.HandleAsync(context, e, logger);
            return;
        }
        if (UnhandledErrors.NeedsProblemBody(context.Response)) await UnhandledErrors.WriteStatusProblemAsync(context);
    }
}
