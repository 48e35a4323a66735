using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace PulseStream.Alerting.Escalation;

public static class EscalationServices
{
    /// <summary>The escalation-policy routes: reading and changing a tenant's policies.</summary>
    public static IServiceCollection AddEscalationPolicies(this IServiceCollection services)
    {
        services.TryAddSingleton<EscalationPolicyStore>();
        services.TryAddSingleton<EscalationPolicyEndpoints>();
        return services;
    }
}
