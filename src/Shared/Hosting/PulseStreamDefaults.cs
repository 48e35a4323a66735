using Azure.Data.Tables;
using Azure.Identity;
using Azure.Messaging.EventHubs.Producer;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using PulseStream.Alerting;
using PulseStream.Alerting.Maintenance;
using PulseStream.Alerting.Routing;
using PulseStream.Identity;
using PulseStream.Messaging;
using PulseStream.Notifications;
using PulseStream.Notifications.Deliveries;
using PulseStream.Notifications.Channels;
using PulseStream.Realtime;
using PulseStream.Storage;

namespace PulseStream.Hosting;

/// <summary>
/// The wiring every PulseStream app shares, called from each app's <c>Program.cs</c> and by the local host:
/// one <see cref="NpgsqlDataSource"/>, migrations at start-up, Table storage, the clock, health. Setting names are
/// the same here, in <c>local.settings.sample.json</c> and in the Bicep app settings.
/// </summary>
public static class PulseStreamDefaults
{
    public const string PostgresSetting = "PostgresConnection";
    /// <summary>The schema owner's connection, used only to migrate; the apps' own connection is the app role's.</summary>
    public const string MigrationSetting = "PostgresMigrationConnection";
    public const string TablesSetting = "TablesConnection";
    public const string EventHubSetting = "EventHubConnection";

    public static IHostApplicationBuilder AddPulseStreamDefaults(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        var configuration = builder.Configuration;
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(_ => new NpgsqlDataSourceBuilder(Tuned(Required(configuration, PostgresSetting))).Build());
        services.TryAddSingleton<Database>();
        services.TryAddSingleton(_ => new MigrationSettings(
            configuration[MigrationSetting] is { Length: > 0 } owner ? owner : Required(configuration, PostgresSetting),
            configuration["Postgres:AppRole"], configuration["Postgres:AppRolePassword"]));
        services.TryAddSingleton<Migrator>();
        services.AddHostedService<MigrationHostedService>();
        services.TryAddSingleton(_ => CreateTableServiceClient(configuration));
        services.TryAddSingleton<Tenancy.ApiKeyEdgeStore>();
        services.TryAddSingleton<Tenancy.ApiKeyUsage>();
        services.TryAddSingleton<Tenancy.TenantLimitsStore>();
        services.TryAddSingleton<Tenancy.TenantRateLimiter>();
        services.TryAddSingleton<Health>();
        return builder;
    }

    /// <summary>Person authentication and roles, shared by the apps that serve people (Alerts, Realtime).</summary>
    public static IServiceCollection AddPersonAuth(this IServiceCollection services)
    {
        services.AddOptions<AuthOptions>().BindConfiguration(AuthOptions.Section).ValidateDataAnnotations()
            .Validate(o => o.IsAllowedHere(Environment.GetEnvironmentVariable("WEBSITE_SITE_NAME")),
                "Auth:InsecureTestPasswordIterations is for test hosts only and is refused on Azure.")
            .ValidateOnStart();
        services.TryAddSingleton(sp =>
        {
            var iterations = sp.GetRequiredService<IOptions<AuthOptions>>().Value.InsecureTestPasswordIterations;
            if (iterations is { } n)
                sp.GetRequiredService<ILoggerFactory>().CreateLogger<PasswordHasher>()
                    .LogWarning("Passwords are hashed with {Iterations} PBKDF2 iterations (Auth:InsecureTestPasswordIterations): for test hosts only", n);
            return new PasswordHasher(iterations ?? PasswordHasher.DefaultIterations);
        });
        services.TryAddSingleton<TokenService>();
        services.TryAddSingleton(sp => new MembershipCache(sp.GetRequiredService<Database>(), sp.GetRequiredService<TimeProvider>()));
        services.TryAddSingleton<CallerAuthenticator>();
        services.AddSecretProtection(); // refresh-token successors are stored encrypted
        services.TryAddSingleton<PasswordPolicy>();
        services.TryAddSingleton<RefreshTokens>();
        services.TryAddSingleton<LoginThrottle>();
        services.AddOptions<SignupThrottleOptions>().BindConfiguration(SignupThrottleOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton<SignupThrottle>();
        services.TryAddSingleton<AuthService>();
        services.TryAddSingleton<MemberService>();
        return services;
    }

    /// <summary>Pushing live messages through the SignalR Service REST API (Alerts and Realtime).</summary>
    public static IServiceCollection AddRealtimePublishing(this IServiceCollection services, IConfiguration configuration)
    {
        services.TryAddSingleton(_ => SignalRConnection.Parse(Required(configuration, SignalRConnection.Setting)));
        services.TryAddSingleton<SignalRTokens>();
        services.AddHttpClient(SignalRRestPublisher.HttpClientName, c => c.Timeout = TimeSpan.FromSeconds(10));
        services.TryAddSingleton<IRealtimePublisher>(sp => ActivatorUtilities.CreateInstance<SignalRRestPublisher>(sp,
            sp.GetRequiredService<IHttpClientFactory>().CreateClient(SignalRRestPublisher.HttpClientName)));
        return services;
    }

    /// <summary>AES-GCM protection of stored secrets (<c>Secrets__ProtectionKey</c>); registered once however often called.</summary>
    public static IServiceCollection AddSecretProtection(this IServiceCollection services)
    {
        if (services.Any(d => d.ServiceType == typeof(SecretProtector))) return services;
        services.AddOptions<SecretOptions>().BindConfiguration(SecretOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton<SecretProtector>();
        return services;
    }

    /// <summary>Alert rules, evaluation and the notification outbox's collaborators.</summary>
    public static IServiceCollection AddAlerting(this IServiceCollection services)
    {
        services.AddSecretProtection();
        services.AddOptions<NotificationOptions>().BindConfiguration(NotificationOptions.Section);
        services.TryAddSingleton<AlertRuleStore>();
        services.TryAddSingleton<AlertQueries>();
        services.TryAddSingleton<AlertLifecycle>();
        services.AddAlertLifecycle();
        services.AddOptions<RuleEvaluationOptions>().BindConfiguration(RuleEvaluationOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton<Metrics.RawEventRollup>();
        services.TryAddSingleton<RuleMetricQuery>();
        services.TryAddSingleton<AlertEvaluator>();
        services.TryAddSingleton<Anomalies.AnomalyBaselineRefresh>();
        services.TryAddSingleton<ITenantRuleEvaluator>(sp => sp.GetRequiredService<AlertEvaluator>());
        services.TryAddSingleton<RuleEvaluationSchedule>();
        services.TryAddSingleton<IDueTenantQueue>(sp => sp.GetRequiredService<RuleEvaluationSchedule>());
        services.TryAddSingleton<DueRuleEvaluator>();
        services.TryAddSingleton<AlertRuleEndpoints>();
        services.AddAlertRules();
        services.AddSilences();
        services.AddMaintenanceWindows();
        services.AddDeliveries();
        services.AddChannels();
        return services;
    }

    /// <summary>Raw event storage, read by the dashboard and written by the Alerts consumer.</summary>
    public static IServiceCollection AddEventStore(this IServiceCollection services)
    {
        services.AddOptions<Events.EventStorageOptions>().BindConfiguration(Events.EventStorageOptions.Section)
            .Validate(o => o.Layout is not null, Events.EventStorageOptions.Problem).ValidateOnStart();
        services.TryAddSingleton(sp => sp.GetRequiredService<IOptions<Events.EventStorageOptions>>().Value.CreateStore(sp.GetRequiredService<Database>()));
        return services;
    }

    /// <summary>The Event Hubs publisher: a connection string, or a namespace with managed identity in Azure.</summary>
    public static IServiceCollection AddEventHubsPublisher(this IServiceCollection services, IConfiguration configuration)
    {
        services.TryAddSingleton(_ =>
        {
            var hub = configuration[EventHubNames.HubSetting] ?? EventHubNames.DefaultHub;
            var connection = configuration[EventHubSetting];
            if (!string.IsNullOrEmpty(connection)) return new EventHubProducerClient(connection, hub);
            var ns = configuration[$"{EventHubSetting}:fullyQualifiedNamespace"]
                ?? throw new InvalidOperationException($"Set {EventHubSetting} or {EventHubSetting}__fullyQualifiedNamespace.");
            return new EventHubProducerClient(ns, hub, new DefaultAzureCredential(new DefaultAzureCredentialOptions { ManagedIdentityClientId = configuration[$"{EventHubSetting}:clientId"] }));
        });
        services.TryAddSingleton<IEventPublisher, EventHubsEventPublisher>();
        return services;
    }

    private static TableServiceClient CreateTableServiceClient(IConfiguration configuration)
    {
        var connection = configuration[TablesSetting];
        if (!string.IsNullOrEmpty(connection)) return new TableServiceClient(connection);
        var endpoint = configuration[$"{TablesSetting}:endpoint"]
            ?? throw new InvalidOperationException($"Set {TablesSetting} or {TablesSetting}__endpoint.");
        return new TableServiceClient(new Uri(endpoint), new DefaultAzureCredential(new DefaultAzureCredentialOptions { ManagedIdentityClientId = configuration[$"{TablesSetting}:clientId"] }));
    }

    /// <summary>
    /// Connection settings for this workload, each unless the connection string sets its own (measured in
    /// docs/PERFORMANCE.md):
    /// - message bodies of up to 900 KB go into and out of the event log, and batches of events into the events table:
    ///   with Npgsql's 8 KB default buffers each costs a hundred socket calls; 64 KB buffers cut that by eight;
    /// - the hot statements (log appends and reads, event inserts, rollup upserts) run thousands of times a second with
    ///   the same text: auto-preparing them saves Postgres parsing and planning each one (a log append: 0.64 ms
    ///   unprepared, 0.39 ms prepared).
    /// </summary>
    private static string Tuned(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (!connectionString.Contains("Read Buffer Size", StringComparison.OrdinalIgnoreCase)) builder.ReadBufferSize = 64 * 1024;
        if (!connectionString.Contains("Write Buffer Size", StringComparison.OrdinalIgnoreCase)) builder.WriteBufferSize = 64 * 1024;
        if (!connectionString.Contains("Max Auto Prepare", StringComparison.OrdinalIgnoreCase)) builder.MaxAutoPrepare = 64;
        return builder.ConnectionString;
    }

    internal static string Required(IConfiguration configuration, string name) =>
        configuration[name] is { Length: > 0 } value ? value : throw new InvalidOperationException($"The setting {name} is required.");
}
