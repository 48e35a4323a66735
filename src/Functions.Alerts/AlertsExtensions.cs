using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using PulseStream.Events;
using PulseStream.Hosting;

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
        services.AddEventStore();
        services.TryAddSingleton<EventBatchPersister>();
        return builder;
    }
}
