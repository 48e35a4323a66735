using System.Reflection;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Abstractions;

namespace PulseStream.LocalHost.Functions;

/// <summary>
/// Invokes a function method as the worker does: a new DI scope and a new instance of the function class per
/// invocation, parameters bound by type (trigger value, <see cref="CancellationToken"/>) and otherwise by name from the
/// binding data (route values, Event Hub metadata).
/// </summary>
public sealed class FunctionInvoker(IServiceScopeFactory scopes)
{
    public async Task<object?> InvokeAsync(FunctionDescriptor function, object triggerValue, IReadOnlyDictionary<string, object?> bindingData, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var instance = function.Factory?.Invoke(scope.ServiceProvider, null);
        var parameters = function.Parameters;
        var arguments = new object?[parameters.Length];
        for (var i = 0; i < parameters.Length; i++)
        {
            var parameter = parameters[i];
            arguments[i] = parameter == function.TriggerParameter ? triggerValue
                : parameter.ParameterType == typeof(CancellationToken) ? ct
                : bindingData.TryGetValue(parameter.Name!, out var value) ? Convert(value, parameter.ParameterType)
                : parameter.HasDefaultValue ? parameter.DefaultValue
                : throw new InvalidOperationException($"Function {function.Name}: nothing binds parameter '{parameter.Name}'.");
        }

        object? result;
        try
        {
            result = function.Method.Invoke(instance, arguments);
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerException).Throw();
            throw;
        }
        if (result is Task task)
        {
            await task;
            result = function.TaskResult?.GetValue(task);
        }
        return result;
    }

    /// <summary>Runs an HTTP function and writes its <see cref="IActionResult"/> to the response.</summary>
    public async Task InvokeHttpAsync(FunctionDescriptor function, HttpContext context)
    {
        var bindingData = context.Request.RouteValues.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.OrdinalIgnoreCase);
        var result = await InvokeAsync(function, context.Request, bindingData, context.RequestAborted);
        switch (result)
        {
            case IActionResult actionResult:
                await actionResult.ExecuteResultAsync(new ActionContext(context, context.GetRouteData(), new ActionDescriptor()));
                break;
            case IResult httpResult:
                await httpResult.ExecuteAsync(context);
                break;
            case null:
                context.Response.StatusCode = StatusCodes.Status204NoContent;
                break;
            default:
                throw new InvalidOperationException($"Function {function.Name} returned {result.GetType()}, which the local host cannot write.");
        }
    }

    private static object? Convert(object? value, Type type) =>
        value is null || type.IsInstanceOfType(value) ? value
        : type == typeof(string) ? value.ToString()
        : System.Convert.ChangeType(value, Nullable.GetUnderlyingType(type) ?? type, System.Globalization.CultureInfo.InvariantCulture);
}
