using System.Reflection;
using System.Text.Json;
using Microsoft.Azure.Functions.Worker;
using PulseStream.Functions.EventHubs;

namespace PulseStream.LocalHost.Functions;

/// <summary>One <c>[Function]</c> method of a function app, with its trigger attribute and trigger parameter.</summary>
public sealed record FunctionDescriptor(string Name, Type Class, MethodInfo Method, ParameterInfo TriggerParameter, Attribute Trigger, string RoutePrefix)
{
    /// <summary>The method's parameters, read once (reflection copies the array on every call).</summary>
    public ParameterInfo[] Parameters { get; } = Method.GetParameters();

    /// <summary>Creates the function class from a scope's services, compiled once instead of resolved per call.</summary>
    public ObjectFactory? Factory { get; } = Method.IsStatic ? null : ActivatorUtilities.CreateFactory(Class, Type.EmptyTypes);

    /// <summary>Reads <c>Task&lt;T&gt;.Result</c> for the method's return type, or null for a plain task.</summary>
    public PropertyInfo? TaskResult { get; } = Method.ReturnType.IsGenericType && Method.ReturnType.GetGenericTypeDefinition() == typeof(Task<>)
        ? Method.ReturnType.GetProperty("Result") : null;
}

/// <summary>
/// Finds the function apps' <c>[Function]</c> methods by reflection, as the worker's metadata generator does, and
/// reads each app's <c>host.json</c> route prefix (embedded in the app assembly).
/// </summary>
public sealed class FunctionCatalog
{
    public IReadOnlyList<FunctionDescriptor> Functions { get; }

    public FunctionCatalog(IEnumerable<Assembly> appAssemblies)
    {
        var functions = new List<FunctionDescriptor>();
        foreach (var assembly in appAssemblies)
        {
            var prefix = RoutePrefix(assembly);
            foreach (var type in assembly.GetTypes().Where(t => t.IsClass && !t.IsAbstract))
            foreach (var method in type.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static))
            {
                if (method.GetCustomAttribute<FunctionAttribute>() is not { } function) continue;
                var trigger = method.GetParameters()
                    .Select(p => (Parameter: p, Attribute: p.GetCustomAttributes().FirstOrDefault(a => a is HttpTriggerAttribute or TimerTriggerAttribute or EventHubTriggerAttribute)))
                    .FirstOrDefault(x => x.Attribute is not null);
                if (trigger.Attribute is null)
                    throw new InvalidOperationException($"Function {function.Name} has no trigger the local host can bind.");
                functions.Add(new FunctionDescriptor(function.Name, type, method, trigger.Parameter, trigger.Attribute, prefix));
            }
        }
        Functions = functions;
    }

    private static string RoutePrefix(Assembly assembly)
    {
        using var stream = assembly.GetManifestResourceStream("host.json");
        if (stream is null) return "api";
        using var document = JsonDocument.Parse(stream, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip });
        return document.RootElement.TryGetProperty("extensions", out var extensions)
            && extensions.TryGetProperty("http", out var http)
            && http.TryGetProperty("routePrefix", out var prefix)
            ? prefix.GetString() ?? "api"
            : "api";
    }
}
