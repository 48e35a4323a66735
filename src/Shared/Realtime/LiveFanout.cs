using Microsoft.Extensions.Logging;
using PulseStream.Events;
using PulseStream.Messaging;
using PulseStream.Metrics;

namespace PulseStream.Realtime;

/// <summary>An event as the live feed shows it: the ingest fields plus when it was received.</summary>
public sealed record LiveEvent(string? EventId, DateTimeOffset Timestamp, string Method, string Path, string Route, int StatusCode,
    double LatencyMs, string? ConsumerId, string Environment, DateTimeOffset ReceivedAt);

/// <summary>One second of a tenant's traffic for the live charts.</summary>
public sealed record MetricsTick(DateTimeOffset Ts, long Requests, long Errors, double? P50, double? P95, double? P99);

/// <summary>
/// The Realtime consumer: turns a consumed batch into, per tenant, one <c>events</c> message (the newest events,
/// coalesced per batch) and one <c>metrics</c> tick per second of receipt time.
/// </summary>
public sealed class LiveFanout(IRealtimePublisher realtime, ILogger<LiveFanout> logger)
{
    public const int MaxEventsPerMessage = 200;

    public async Task<int> PublishAsync(ConsumedBatch batch, CancellationToken ct)
    {
        var envelopes = new List<EventEnvelope>(batch.Messages.Count);
        foreach (var message in batch.Messages)
        {
            // A message that does not decode costs only its own live updates; the Alerts consumer dead-letters it.
            try
            {
                envelopes.Add(EventEnvelopeCodec.Decode(message.Body));
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                logger.LogWarning("Skipping undecodable message {SequenceNumber} of partition {PartitionId} in the live feed: {Error}",
                    message.SequenceNumber, batch.PartitionId, e.Message);
            }
        }
        var sent = 0;
        foreach (var tenant in envelopes.GroupBy(e => e.TenantId))
        {
            var events = tenant.SelectMany(e => e.Events.Select(ev => (Envelope: e, Event: ev))).ToList();
            var live = events.TakeLast(MaxEventsPerMessage)
                .Select(x => new LiveEvent(x.Event.EventId, x.Event.Timestamp, x.Event.Method, x.Event.Path, x.Event.Route,
                    x.Event.StatusCode, x.Event.LatencyMs, x.Event.ConsumerId, x.Event.Environment, x.Envelope.ReceivedAt))
                .Reverse()
                .ToList();
            await realtime.SendToTenantAsync(tenant.Key, RealtimeTargets.Events, live, ct);
            foreach (var tick in Ticks(events))
                await realtime.SendToTenantAsync(tenant.Key, RealtimeTargets.Metrics, tick, ct);
            sent++;
        }
        return sent;
    }

    internal static IEnumerable<MetricsTick> Ticks(IEnumerable<(EventEnvelope Envelope, ApiEvent Event)> events) =>
        events.GroupBy(x => Durations.Floor(x.Envelope.ReceivedAt, TimeSpan.FromSeconds(1)))
            .OrderBy(g => g.Key)
            .Select(g =>
            {
                var histogram = new LatencyHistogram();
                foreach (var (_, e) in g) histogram.Add(e.LatencyMs);
                return new MetricsTick(g.Key, g.LongCount(), g.LongCount(x => x.Event.StatusCode >= 500),
                    histogram.Quantile(0.50), histogram.Quantile(0.95), histogram.Quantile(0.99));
            });
}
