using Microsoft.Extensions.Logging;
using PulseStream.Events;
using PulseStream.Messaging;

namespace PulseStream.Realtime;

/// <summary>
/// The Realtime consumer: decodes a consumed batch and hands each tenant's events to the <see cref="LiveCoalescer"/>,
/// which sends them on its own schedule (<see cref="LiveFlushService"/>). So the batch never waits for SignalR, and
/// a send that fails cannot fail it.
/// </summary>
public sealed class LiveFanout(LiveCoalescer coalescer, TimeProvider time, ILogger<LiveFanout> logger)
{
    /// <returns>The number of tenants the batch carried live events for.</returns>
    public Task<int> PublishAsync(ConsumedBatch batch, CancellationToken ct)
    {
        var tenants = new HashSet<Guid>();
        var now = time.GetUtcNow();
        foreach (var message in batch.Messages)
        {
            ct.ThrowIfCancellationRequested();
            EventEnvelope envelope;
            // A message that does not decode costs only its own live updates; the Alerts consumer dead-letters it.
            try
            {
                envelope = EventEnvelopeCodec.Decode(message.Body);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                logger.LogWarning("Skipping undecodable message {SequenceNumber} of partition {PartitionId} in the live feed: {Error}",
                    message.SequenceNumber, batch.PartitionId, e.Message);
                continue;
            }
            coalescer.Add(envelope.TenantId, envelope.ReceivedAt, envelope.Events, now);
            tenants.Add(envelope.TenantId);
        }
        return Task.FromResult(tenants.Count);
    }
}
