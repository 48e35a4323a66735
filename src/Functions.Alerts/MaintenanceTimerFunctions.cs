using Microsoft.Azure.Functions.Worker;
using PulseStream.Alerting.Maintenance;

namespace PulseStream.Functions.Alerts;

/// <summary>
/// Maintenance windows' summaries (issue 14 §4): every 5 s, the occurrences of windows with <c>summaryAtEnd</c> that
/// have ended are summarised, each once (<c>maintenance_summaries</c> in Postgres), to the channels of the rules whose
/// alerts they muted.
/// </summary>
public sealed class MaintenanceTimerFunctions(MaintenanceSummaries summaries)
{
    [Function(nameof(SendMaintenanceSummaries))]
    public Task SendMaintenanceSummaries([TimerTrigger("*/5 * * * * *")] TimerInfo timer, CancellationToken cancellationToken) =>
        summaries.RunAsync(cancellationToken);
}
