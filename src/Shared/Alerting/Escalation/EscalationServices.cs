using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace PulseStream.Alerting.Escalation;

public static class EscalationServices
{
    /// <summary>The escalation-policy routes (reading and changing a tenant's policies) and the engine that runs them.</summary>
    public static IServiceCollection AddEscalationPolicies(this IServiceCollection services)
    {
        services.TryAddSingleton<EscalationPolicyStore>();
        services.TryAddSingleton<EscalationPolicyEndpoints>();
        services.AddOptions<EscalationOptions>().BindConfiguration(EscalationOptions.Section).ValidateDataAnnotations()
            .Validate(o => o.IsValid, "Escalation:MinuteLength, Escalation:Lease and Escalation:MutedRecheck must be positive.").ValidateOnStart();
        services.TryAddSingleton<EscalationRunner>();
        return services;
    }
}
