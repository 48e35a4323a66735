using Microsoft.Azure.Functions.Worker;

namespace PulseStream.LocalHost.Functions;

/// <summary>Maps every <c>HttpTrigger</c> function to a Kestrel route under its app's route prefix.</summary>
public static class HttpFunctionRoutes
{
    public static void MapHttpFunctions(this WebApplication app)
    {
        var catalog = app.Services.GetRequiredService<FunctionCatalog>();
        var invoker = app.Services.GetRequiredService<FunctionInvoker>();
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("PulseStream.LocalHost.Http");
        var mapped = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var function in catalog.Functions)
        {
            if (function.Trigger is not HttpTriggerAttribute http) continue;
            var route = "/" + string.Join('/', new[] { function.RoutePrefix, http.Route ?? function.Name }.Where(s => !string.IsNullOrEmpty(s)));
            var methods = (http.Methods ?? ["get", "post"]).Select(m => m.ToUpperInvariant()).ToArray();
            var key = string.Join(',', methods.Order()) + " " + route;
            // Every app has its own /api/health; on one host the first one answers.
            if (!mapped.Add(key))
            {
                logger.LogDebug("Route {Route} of {Function} is already served by another app", key, function.Name);
                continue;
            }
            app.MapMethods(route, methods, context => invoker.InvokeHttpAsync(function, context)).WithDisplayName(function.Name);
        }
    }
}
