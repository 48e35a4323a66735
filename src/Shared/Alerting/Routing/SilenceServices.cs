using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace PulseStream.Alerting.Routing;

public static class SilenceServices
{
    /// <summary>The silence routes and their limits (section <c>Silences</c>), the release of held notifications, and the flush of notification groups.</summary>
    public static IServiceCollection AddSilences(this IServiceCollection services)
    {
        services.AddOptions<SilenceOptions>().BindConfiguration(SilenceOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton<SilenceStore>();
        services.TryAddSingleton<SilenceEndpoints>();
        services.TryAddSingleton<HeldNotificationRelease>();
        services.TryAddSingleton<NotificationGroupFlusher>();
        return services;
    }
}
