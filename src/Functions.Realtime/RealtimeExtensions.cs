using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using PulseStream.Alerting;
using PulseStream.Events;
using PulseStream.Hosting;
using PulseStream.Identity;
using PulseStream.Metrics;
using PulseStream.Realtime;
using PulseStream.Retention;

namespace PulseStream.Functions.Realtime;

public static class RealtimeExtensions
{
    /// <summary>Login, dashboard queries, negotiate, the live fan-out and the static dashboard.</summary>
    public static IHostApplicationBuilder AddRealtime(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddPersonAuth();
        services.AddRealtimePublishing(builder.Configuration);
        services.TryAddSingleton<NegotiateService>();
        services.TryAddSingleton<ConnectionUpstream>();
        services.TryAddSingleton<LiveConnections>();
        services.TryAddSingleton<LiveCoalescer>();
        services.TryAddSingleton<LiveFanout>();
        services.AddHostedService<LiveFlushService>();
        services.TryAddSingleton<DashboardQueries>();
        services.TryAddSingleton<PulseStream.Insights.InsightQueries>();
        services.TryAddSingleton<BreakdownQueries>();
        services.TryAddSingleton<DetailQueries>();
        services.TryAddSingleton<LimitsUsage>();
        services.TryAddSingleton<QueryBudget>();
        services.AddOptions<QueryOptions>().BindConfiguration(QueryOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton<PulseStream.Export.MetricsExport>();
        services.TryAddSingleton<RawEventRollup>();
        services.AddEventStore();
        services.TryAddSingleton<RecentEventsQuery>();
        services.TryAddSingleton<DashboardFiles>();
        services.TryAddSingleton<PulseStream.Tenancy.ApiKeyService>();
        services.TryAddSingleton<AuditQueries>();
        services.AddRetention();
        return builder;
    }
}
