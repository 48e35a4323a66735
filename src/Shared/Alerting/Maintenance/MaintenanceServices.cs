using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace PulseStream.Alerting.Maintenance;

public static class MaintenanceServices
{
    /// <summary>The maintenance-window routes (reading and changing a tenant's windows, listing their occurrences) and the summaries at their end.</summary>
    public static IServiceCollection AddMaintenanceWindows(this IServiceCollection services)
    {
        services.TryAddSingleton<MaintenanceWindowStore>();
        services.TryAddSingleton<MaintenanceWindowEndpoints>();
        services.TryAddSingleton<MaintenanceSummaries>();
        return services;
    }
}
