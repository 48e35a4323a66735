using Microsoft.Azure.Functions.Worker;
using PulseStream.Alerting;
using PulseStream.Events;
using PulseStream.Functions.EventHubs;
using PulseStream.Messaging;

namespace PulseStream.Functions.Alerts;

/// <summary>
/// Consumer group <c>alerts</c>: persists each batch exactly once (events, rollups, position in one transaction),
/// then evaluates the rules of the tenants it touched (each at most once a second). Failures are retried and dead-lettered inside the persister,
/// because the host checkpoints the batch whatever the function does (AZURE.md).
/// </summary>
public sealed class PersistEventsFunction(EventBatchPersister persister, AlertEvaluator evaluator, RuleEvaluationThrottle throttle)
{
    [Function(nameof(PersistEvents))]
    public async Task PersistEvents(
        [EventHubTrigger("%EventHubName%", Connection = "EventHubConnection", ConsumerGroup = EventHubNames.AlertsConsumerGroup)] byte[][] messages,
        long[] sequenceNumberArray, DateTime[] enqueuedTimeUtcArray, TriggerPartitionContext partitionContext, CancellationToken cancellationToken)
    {
        var batch = ConsumedBatch.FromTrigger(EventHubNames.AlertsConsumerGroup, partitionContext.PartitionId, messages, sequenceNumberArray, enqueuedTimeUtcArray);
        var tenants = await persister.PersistAsync(batch, cancellationToken);
        await evaluator.EvaluateTenantsAsync(throttle.Due(tenants), cancellationToken);
    }
}
