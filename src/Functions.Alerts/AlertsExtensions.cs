using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using PulseStream.Events;
using PulseStream.Hosting;
using PulseStream.Operations;
using PulseStream.Retention;
using PulseStream.Slos;

namespace PulseStream.Functions.Alerts;

public static class AlertsExtensions
{
    /// <summary>Persisting and rolling up events, rules, evaluation and notifications.</summary>
    public static IHostApplicationBuilder AddAlerts(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddPersonAuth();
        services.AddRealtimePublishing(builder.Configuration);
        services.AddAlerting();
        services.AddSlos();
        services.AddEventStore();
        services.TryAddSingleton<IsolatingEventWriter>();
        services.TryAddSingleton<EventBatchPersister>();
        services.AddDeadLetterOperations();
        services.AddRetention();
        return builder;
    }

    /// <summary>Dead letters for an operator: listing and replay behind the operator key.</summary>
    public static IServiceCollection AddDeadLetterOperations(this IServiceCollection services)
    {
        services.AddOptions<OperationsOptions>().BindConfiguration(OperationsOptions.Section)
            .Validate(o => string.IsNullOrEmpty(o.OperatorKey) || o.OperatorKey.Length >= OperationsOptions.MinKeyLength,
                $"Operations:OperatorKey must be at least {OperationsOptions.MinKeyLength} characters, or empty to turn the operator routes off.")
            .ValidateOnStart();
        services.TryAddSingleton<OperatorAuthorizer>();
        services.TryAddSingleton<DeadLetterStore>();
        services.TryAddSingleton<DeadLetterReplayer>();
        services.TryAddSingleton<DeadLetterEndpoints>();
        return services;
    }
}
