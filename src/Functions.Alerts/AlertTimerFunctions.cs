using Microsoft.Azure.Functions.Worker;
using PulseStream.Alerting;
using PulseStream.Notifications;

namespace PulseStream.Functions.Alerts;

/// <summary>
/// Timers: dispatch due notifications; evaluate the tenants whose rules are due, each within its budget; and every
/// 15 s mark every tenant with rules due, so conditions resolve without traffic.
/// </summary>
public sealed class AlertTimerFunctions(NotificationDispatcher dispatcher, DueRuleEvaluator dueRules, RuleEvaluationSchedule schedule)
{
    [Function(nameof(DispatchNotifications))]
    public Task DispatchNotifications([TimerTrigger("*/5 * * * * *")] TimerInfo timer, CancellationToken cancellationToken) =>
        dispatcher.DispatchDueAsync(cancellationToken);

    [Function(nameof(EvaluateDueRules))]
    public Task EvaluateDueRules([TimerTrigger("* * * * * *")] TimerInfo timer, CancellationToken cancellationToken) =>
        dueRules.RunAsync(cancellationToken);

    [Function(nameof(MarkAllRulesDue))]
    public Task MarkAllRulesDue([TimerTrigger("*/15 * * * * *")] TimerInfo timer, CancellationToken cancellationToken) =>
        schedule.MarkAllDueAsync(cancellationToken);
}
