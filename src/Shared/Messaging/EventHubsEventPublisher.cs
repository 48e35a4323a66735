using Azure.Messaging.EventHubs;
using Azure.Messaging.EventHubs.Producer;
using PulseStream.Events;

namespace PulseStream.Messaging;

/// <summary>
/// Publishes to Azure Event Hubs. The partition key is the tenant id, so a tenant's events stay ordered on one
/// partition; bodies are packed into size-aware batches (<see cref="EventDataBatch.TryAdd"/>), sending a batch
/// whenever the next body would not fit.
/// </summary>
public sealed class EventHubsEventPublisher(EventHubProducerClient producer) : IEventPublisher
{
    public async Task PublishAsync(EventEnvelope envelope, CancellationToken ct)
    {
        var options = new CreateBatchOptions { PartitionKey = envelope.TenantId.ToString() };
        var batch = await producer.CreateBatchAsync(options, ct);
        try
        {
            foreach (var body in EventEnvelopeCodec.Encode(envelope))
            {
                var data = new EventData(body) { ContentType = "application/vnd.pulsestream.events+json" };
                if (batch.TryAdd(data)) continue;
                if (batch.Count == 0) throw new InvalidOperationException("A message is larger than the event hub accepts.");
                await producer.SendAsync(batch, ct);
                batch.Dispose();
                batch = await producer.CreateBatchAsync(options, ct);
                if (!batch.TryAdd(data)) throw new InvalidOperationException("A message is larger than the event hub accepts.");
            }
            if (batch.Count > 0) await producer.SendAsync(batch, ct);
        }
        finally
        {
            batch.Dispose();
        }
    }
}
