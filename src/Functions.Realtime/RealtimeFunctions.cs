using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using PulseStream.Export;
using PulseStream.Functions.EventHubs;
using PulseStream.Hosting;
using PulseStream.Identity;
using PulseStream.Messaging;
using PulseStream.Metrics;
using PulseStream.Realtime;
using PulseStream.Retention;

namespace PulseStream.Functions.Realtime;

/// <summary>
/// The Realtime app's triggers. Its host.json sets an empty route prefix so the dashboard can live at
/// <c>/dashboard/</c>; API routes spell out their <c>api/</c> prefix.
/// </summary>
public sealed class RealtimeFunctions(CallerAuthenticator auth, AuthService sessions, NegotiateService negotiate, DashboardQueries dashboard, BreakdownQueries breakdowns, DetailQueries details,
    RecentEventsQuery recentEvents, LiveFanout fanout, DashboardFiles files, Tenancy.ApiKeyService apiKeys, AuditQueries audit, MemberService members, Health health,
    ConnectionUpstream upstream, LiveConnections liveConnections, LimitsUsage limitsUsage, RetentionSettingsEndpoints retention, MetricsExport export,
    PulseStream.Insights.InsightQueries insights)
{
    [Function(nameof(FanOutEvents))]
    public Task FanOutEvents(
        [EventHubTrigger("%EventHubName%", Connection = "EventHubConnection", ConsumerGroup = EventHubNames.RealtimeConsumerGroup)] byte[][] messages,
        long[] sequenceNumberArray, DateTime[] enqueuedTimeUtcArray, TriggerPartitionContext partitionContext, CancellationToken cancellationToken) =>
        fanout.PublishAsync(ConsumedBatch.FromTrigger(EventHubNames.RealtimeConsumerGroup, partitionContext.PartitionId, messages, sequenceNumberArray, enqueuedTimeUtcArray), cancellationToken);

    [Function(nameof(Signup))]
    public Task<IActionResult> Signup([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/v1/auth/signup")] HttpRequest request) =>
        sessions.SignupAsync(request, request.HttpContext.RequestAborted);

    [Function(nameof(Login))]
    public Task<IActionResult> Login([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/v1/auth/login")] HttpRequest request) =>
        sessions.LoginAsync(request, request.HttpContext.RequestAborted);

    [Function(nameof(Refresh))]
    public Task<IActionResult> Refresh([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/v1/auth/refresh")] HttpRequest request) =>
        sessions.RefreshAsync(request, request.HttpContext.RequestAborted);

    [Function(nameof(Logout))]
    public Task<IActionResult> Logout([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/v1/auth/logout")] HttpRequest request) =>
        auth.RunAsync(request, Role.Viewer, caller => sessions.LogoutAsync(caller, request, request.HttpContext.RequestAborted));

    [Function(nameof(Negotiate))]
    public Task<IActionResult> Negotiate([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/negotiate")] HttpRequest request) =>
        auth.RunAsync(request, Role.Viewer, caller => negotiate.NegotiateAsync(caller, request.HttpContext.RequestAborted));

    /// <summary>SignalR Service's upstream for connection events; authenticated by the service's signature, not a token.</summary>
    [Function(nameof(SignalRUpstream))]
    public Task<IActionResult> SignalRUpstream([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/signalr/upstream/{hub}/{category}/{event}")] HttpRequest request) =>
        upstream.HandleAsync(request, request.HttpContext.RequestAborted);

    [Function(nameof(DashboardOverview))]
    public Task<IActionResult> DashboardOverview([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/v1/dashboard/overview")] HttpRequest request) =>
        auth.RunAsync(request, Role.Viewer, caller => dashboard.OverviewAsync(caller, request, request.HttpContext.RequestAborted));

    [Function(nameof(DashboardInsights))]
    public Task<IActionResult> DashboardInsights([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/v1/dashboard/insights")] HttpRequest request) =>
        auth.RunAsync(request, Role.Viewer, caller => insights.InsightsAsync(caller, request, request.HttpContext.RequestAborted));

    [Function(nameof(DashboardConnections))]
    public Task<IActionResult> DashboardConnections([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/v1/dashboard/connections")] HttpRequest request) =>
        auth.RunAsync(request, Role.Admin, caller => liveConnections.ListAsync(caller, request.HttpContext.RequestAborted));

    [Function(nameof(MetricsTimeseries))]
    public Task<IActionResult> MetricsTimeseries([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/v1/metrics/timeseries")] HttpRequest request) =>
        auth.RunAsync(request, Role.Viewer, caller => dashboard.TimeseriesAsync(caller, request, request.HttpContext.RequestAborted));

    [Function(nameof(RouteMetrics))]
    public Task<IActionResult> RouteMetrics([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/v1/routes")] HttpRequest request) =>
        auth.RunAsync(request, Role.Viewer, caller => breakdowns.RoutesAsync(caller, request, request.HttpContext.RequestAborted));

    [Function(nameof(RouteDetail))]
    public Task<IActionResult> RouteDetail([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/v1/routes/detail")] HttpRequest request) =>
        auth.RunAsync(request, Role.Viewer, caller => details.RouteAsync(caller, request, request.HttpContext.RequestAborted));

    [Function(nameof(ConsumerDetail))]
    public Task<IActionResult> ConsumerDetail([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/v1/consumers/detail")] HttpRequest request) =>
        auth.RunAsync(request, Role.Viewer, caller => details.ConsumerAsync(caller, request, request.HttpContext.RequestAborted));

    [Function(nameof(ConsumerMetrics))]
    public Task<IActionResult> ConsumerMetrics([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/v1/consumers")] HttpRequest request) =>
        auth.RunAsync(request, Role.Viewer, caller => breakdowns.ConsumersAsync(caller, request, request.HttpContext.RequestAborted));

    [Function(nameof(ExportMetrics))]
    public Task<IActionResult> ExportMetrics([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/v1/export")] HttpRequest request) =>
        auth.RunAsync(request, Role.Viewer, caller => export.ExportAsync(caller, request, request.HttpContext.RequestAborted));

    [Function(nameof(RecentEvents))]
    public Task<IActionResult> RecentEvents([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/v1/events")] HttpRequest request) =>
        auth.RunAsync(request, Role.Viewer, caller => recentEvents.ListAsync(caller, request, request.HttpContext.RequestAborted));

    [Function(nameof(AcceptInvite))]
    public Task<IActionResult> AcceptInvite([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/v1/auth/accept-invite")] HttpRequest request) =>
        members.AcceptInviteAsync(request, request.HttpContext.RequestAborted);

    [Function(nameof(ListMembers))]
    public Task<IActionResult> ListMembers([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/v1/users")] HttpRequest request) =>
        auth.RunAsync(request, Role.Admin, caller => members.ListAsync(caller, request.HttpContext.RequestAborted));

    [Function(nameof(InviteMember))]
    public Task<IActionResult> InviteMember([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/v1/users")] HttpRequest request) =>
        auth.RunAsync(request, Role.Owner, caller => members.InviteAsync(caller, request, request.HttpContext.RequestAborted));

    [Function(nameof(ChangeMemberRole))]
    public Task<IActionResult> ChangeMemberRole([HttpTrigger(AuthorizationLevel.Anonymous, "patch", Route = "api/v1/users/{id}")] HttpRequest request, string id) =>
        auth.RunAsync(request, Role.Owner, caller => members.ChangeRoleAsync(caller, id, request, request.HttpContext.RequestAborted));

    [Function(nameof(RemoveMember))]
    public Task<IActionResult> RemoveMember([HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "api/v1/users/{id}")] HttpRequest request, string id) =>
        auth.RunAsync(request, Role.Owner, caller => members.RemoveAsync(caller, id, request, request.HttpContext.RequestAborted));

    [Function(nameof(CreateApiKey))]
    public Task<IActionResult> CreateApiKey([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/v1/api-keys")] HttpRequest request) =>
        auth.RunAsync(request, Role.Admin, caller => apiKeys.CreateAsync(caller, request, request.HttpContext.RequestAborted));

    [Function(nameof(ListApiKeys))]
    public Task<IActionResult> ListApiKeys([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/v1/api-keys")] HttpRequest request) =>
        auth.RunAsync(request, Role.Admin, caller => apiKeys.ListAsync(caller, request.HttpContext.RequestAborted));

    [Function(nameof(RevokeApiKey))]
    public Task<IActionResult> RevokeApiKey([HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "api/v1/api-keys/{id}")] HttpRequest request, string id) =>
        auth.RunAsync(request, Role.Admin, caller => apiKeys.RevokeAsync(caller, id, request, request.HttpContext.RequestAborted));

    [Function(nameof(ListAudit))]
    public Task<IActionResult> ListAudit([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/v1/audit")] HttpRequest request) =>
        auth.RunAsync(request, Role.Admin, caller => audit.ListAsync(caller, request, request.HttpContext.RequestAborted));

    [Function(nameof(GetRetentionSettings))]
    public Task<IActionResult> GetRetentionSettings([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/v1/settings/retention")] HttpRequest request) =>
        auth.RunAsync(request, Role.Viewer, caller => retention.GetAsync(caller, request.HttpContext.RequestAborted));

    [Function(nameof(PutRetentionSettings))]
    public Task<IActionResult> PutRetentionSettings([HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = "api/v1/settings/retention")] HttpRequest request) =>
        auth.RunAsync(request, Role.Owner, caller => retention.PutAsync(caller, request, request.HttpContext.RequestAborted));

    [Function(nameof(GetLimits))]
    public Task<IActionResult> GetLimits([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/v1/settings/limits")] HttpRequest request) =>
        auth.RunAsync(request, Role.Viewer, caller => limitsUsage.GetAsync(caller, request.HttpContext.RequestAborted));

    [Function(nameof(Dashboard))]
    public IActionResult Dashboard([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "dashboard/{*path}")] HttpRequest request, string? path) =>
        files.Serve(request, path);

    [Function("RealtimeHealth")]
    public Task<IActionResult> HealthCheck([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/health")] HttpRequest request) =>
        health.CheckAsync("realtime", request.HttpContext.RequestAborted);
}
