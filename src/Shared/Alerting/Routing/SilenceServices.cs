using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace PulseStream.Alerting.Routing;

public static class SilenceServices
{
    /// <summary>The silence routes and their limits (section <c>Silences</c>), and the release of held notifications.</summary>
    public static IServiceCollection AddSilences(this IServiceCollection services)
    {
        services.AddOptions<SilenceOptions>().BindConfiguration(SilenceOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton<SilenceStore>();
        services.TryAddSingleton<SilenceEndpoints>();
        services.TryAddSingleton<HeldNotificationRelease>();
        return services;
    }
}
