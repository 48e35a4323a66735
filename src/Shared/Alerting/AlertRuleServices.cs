using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using PulseStream.Alerting.Escalation;
using PulseStream.Metrics;

namespace PulseStream.Alerting;

public static class AlertRuleServices
{
    /// <summary>The alert-rule routes: reading and changing rules, previewing a rule over past traffic, and the escalation policies rules name.</summary>
    public static IServiceCollection AddAlertRules(this IServiceCollection services)
    {
        services.TryAddSingleton<AlertRuleStore>();
        services.TryAddSingleton<AlertRuleChanges>();
        services.TryAddSingleton<AlertRuleEndpoints>();
        services.TryAddSingleton<RulePreviewEndpoints>();
        services.TryAddSingleton<Anomalies.AnomalyBaselineEndpoints>();
        // A rule names its escalation policy; the policy routes live beside the rule routes.
        services.AddEscalationPolicies();
        // The preview reads under the query API's budget, as the dashboard's reads do.
        services.TryAddSingleton<QueryBudget>();
        services.AddOptions<QueryOptions>().BindConfiguration(QueryOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        return services;
    }
}
