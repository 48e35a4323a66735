using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace PulseStream.Retention;

public static class RetentionExtensions
{
    /// <summary>Retention settings (<c>Retention__*</c>, validated at start-up), the tenant settings API and the enforcer.</summary>
    public static IServiceCollection AddRetention(this IServiceCollection services)
    {
        services.AddOptions<RetentionOptions>().BindConfiguration(RetentionOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton<TenantRetention>();
        services.TryAddSingleton<RetentionSettingsEndpoints>();
        services.TryAddSingleton<RetentionEnforcer>();
        return services;
    }
}
