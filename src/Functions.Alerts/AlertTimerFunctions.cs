using Microsoft.Azure.Functions.Worker;
using PulseStream.Alerting;
using PulseStream.Alerting.Routing;
using PulseStream.Notifications;
using PulseStream.Retention;

namespace PulseStream.Functions.Alerts;

/// <summary>
/// Timers: dispatch due notifications every second (a round keeps claiming while deliveries are due); evaluate the
/// tenants whose rules are due, each within its budget; and every 15 s mark every tenant with rules due, so conditions
/// resolve without traffic; every 5 s send the firing notifications muting held once it has ended; every 5 minutes remove what is past its retention, within the run's bounds.
/// </summary>
public sealed class AlertTimerFunctions(NotificationDispatcher dispatcher, DueRuleEvaluator dueRules, RuleEvaluationSchedule schedule,
    RetentionEnforcer retention, HeldNotificationRelease heldNotifications)
{
    [Function(nameof(DispatchNotifications))]
    public Task DispatchNotifications([TimerTrigger("* * * * * *")] TimerInfo timer, CancellationToken cancellationToken) =>
        dispatcher.DispatchDueAsync(cancellationToken);

    [Function(nameof(EvaluateDueRules))]
    public Task EvaluateDueRules([TimerTrigger("* * * * * *")] TimerInfo timer, CancellationToken cancellationToken) =>
        dueRules.RunAsync(cancellationToken);

    [Function(nameof(MarkAllRulesDue))]
    public Task MarkAllRulesDue([TimerTrigger("*/15 * * * * *")] TimerInfo timer, CancellationToken cancellationToken) =>
        schedule.MarkAllDueAsync(cancellationToken);

    [Function(nameof(ReleaseHeldNotifications))]
    public Task ReleaseHeldNotifications([TimerTrigger("*/5 * * * * *")] TimerInfo timer, CancellationToken cancellationToken) =>
        heldNotifications.RunAsync(cancellationToken);

    [Function(nameof(EnforceRetention))]
    public Task EnforceRetention([TimerTrigger("0 */5 * * * *")] TimerInfo timer, CancellationToken cancellationToken) =>
        retention.RunAsync(cancellationToken);
}
