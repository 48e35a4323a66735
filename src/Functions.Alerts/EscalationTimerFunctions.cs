using Microsoft.Azure.Functions.Worker;
using PulseStream.Alerting.Escalation;

namespace PulseStream.Functions.Alerts;

/// <summary>
/// Escalation (issue 14 §1): every second, run the due steps of escalation policies and the ack timeouts that have
/// passed. All state is in Postgres (<c>escalation_state</c>), so a host that stops between steps resumes where it was.
/// </summary>
public sealed class EscalationTimerFunctions(EscalationRunner runner)
{
    [Function(nameof(RunDueEscalations))]
    public Task RunDueEscalations([TimerTrigger("* * * * * *")] TimerInfo timer, CancellationToken cancellationToken) =>
        runner.RunDueAsync(cancellationToken);
}
