using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using PulseStream.Metrics;

namespace PulseStream.Slos;

public static class SloServices
{
    /// <summary>The SLO routes: a tenant's SLOs, their status, series and per-consumer status, read from the rollups under the query budget.</summary>
    public static IServiceCollection AddSlos(this IServiceCollection services)
    {
        services.TryAddSingleton<SloStore>();
        services.TryAddSingleton<SloEndpoints>();
        services.TryAddSingleton<QueryBudget>();
        services.AddOptions<QueryOptions>().BindConfiguration(QueryOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        return services;
    }
}
