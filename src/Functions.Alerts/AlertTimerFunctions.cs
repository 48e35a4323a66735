using Microsoft.Azure.Functions.Worker;
using PulseStream.Alerting;
using PulseStream.Notifications;

namespace PulseStream.Functions.Alerts;

/// <summary>Timers: dispatch due notifications; re-evaluate every tenant's rules so conditions resolve without traffic.</summary>
public sealed class AlertTimerFunctions(NotificationDispatcher dispatcher, AlertEvaluator evaluator)
{
    [Function(nameof(DispatchNotifications))]
    public Task DispatchNotifications([TimerTrigger("*/5 * * * * *")] TimerInfo timer, CancellationToken cancellationToken) =>
        dispatcher.DispatchDueAsync(cancellationToken);

    [Function(nameof(EvaluateRules))]
    public Task EvaluateRules([TimerTrigger("*/15 * * * * *")] TimerInfo timer, CancellationToken cancellationToken) =>
        evaluator.EvaluateAllTenantsAsync(cancellationToken);
}
