using Microsoft.Azure.Functions.Worker;
using PulseStream.Alerting.Routing;

namespace PulseStream.Functions.Alerts;

/// <summary>
/// Notification grouping (issue 14 §2): every second, send the rule groups whose groupWait, groupInterval or
/// repeatInterval has passed. All state is in Postgres (<c>notification_groups</c>), so any instance may run it.
/// </summary>
public sealed class NotificationGroupTimerFunctions(NotificationGroupFlusher flusher)
{
    [Function(nameof(FlushNotificationGroups))]
    public Task FlushNotificationGroups([TimerTrigger("* * * * * *")] TimerInfo timer, CancellationToken cancellationToken) =>
        flusher.RunAsync(cancellationToken);
}
