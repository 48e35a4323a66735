using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace PulseStream.Notifications.Deliveries;

/// <summary>The outbox's dispatcher, its schedule, the deliveries API and channel health.</summary>
public static class DeliveriesExtensions
{
    public static IServiceCollection AddDeliveries(this IServiceCollection services)
    {
        services.AddOptions<NotificationOptions>().BindConfiguration(NotificationOptions.Section);
        services.AddOptions<DeliveryOptions>().BindConfiguration(DeliveryOptions.Section).ValidateDataAnnotations()
            .Validate(o => o.Lease >= TimeSpan.FromSeconds(1) && o.AttemptTimeout > TimeSpan.Zero && o.FirstRetryDelay > TimeSpan.Zero && o.MaxRetryDelay >= o.FirstRetryDelay
                    && o.ClaimInterval > TimeSpan.Zero,
                "Deliveries: Lease must be at least 1 s, AttemptTimeout, FirstRetryDelay and ClaimInterval positive, MaxRetryDelay at least FirstRetryDelay.")
            .ValidateOnStart();
        services.TryAddSingleton<ChannelDisabledNotice>();
        services.TryAddSingleton<NotificationDispatcher>();
        services.TryAddSingleton<DeliveryEndpoints>();
        return services;
    }
}
