using Microsoft.Azure.Functions.Worker;
using PulseStream.Events;
using PulseStream.Functions.EventHubs;
using PulseStream.Messaging;

namespace PulseStream.Functions.Alerts;

/// <summary>
/// Consumer group <c>alerts</c>: persists each batch exactly once (events, rollups, position in one transaction) and
/// marks the batch's tenants' rules due in that transaction; it never evaluates rules, so no tenant's rules delay
/// any tenant's storing (the <c>EvaluateDueRules</c> timer evaluates them). Failures are retried and dead-lettered
/// inside the persister, because the host checkpoints the batch whatever the function does (AZURE.md).
/// </summary>
public sealed class PersistEventsFunction(EventBatchPersister persister)
{
    [Function(nameof(PersistEvents))]
    public async Task PersistEvents(
        [EventHubTrigger("%EventHubName%", Connection = "EventHubConnection", ConsumerGroup = EventHubNames.AlertsConsumerGroup)] byte[][] messages,
        long[] sequenceNumberArray, DateTime[] enqueuedTimeUtcArray, TriggerPartitionContext partitionContext, CancellationToken cancellationToken)
    {
        var batch = ConsumedBatch.FromTrigger(EventHubNames.AlertsConsumerGroup, partitionContext.PartitionId, messages, sequenceNumberArray, enqueuedTimeUtcArray);
        await persister.PersistAsync(batch, cancellationToken);
    }
}
