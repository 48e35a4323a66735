using Microsoft.Azure.Functions.Worker;
using PulseStream.Anomalies;

namespace PulseStream.Functions.Alerts;

/// <summary>Every hour, five minutes past (once the last hour's rollups are complete), the anomaly rules' baselines are recomputed.</summary>
public sealed class AnomalyTimerFunctions(AnomalyBaselineRefresh refresh)
{
    [Function(nameof(RefreshAnomalyBaselines))]
    public Task RefreshAnomalyBaselines([TimerTrigger("0 5 * * * *")] TimerInfo timer, CancellationToken cancellationToken) =>
        refresh.RunAsync(cancellationToken);
}
