using Azure.Messaging.EventHubs;
using Azure.Messaging.EventHubs.Producer;
using PulseStream.Events;
using PulseStream.Messaging;
using PulseStream.Testing;

namespace PulseStream.UnitTests;

public class PublishingTests
{
    private static ApiEvent Event(int i, int pathLength = 20) => new($"id-{i}", DateTimeOffset.UnixEpoch.AddSeconds(i), "GET", "/" + new string('p', pathLength),
        "/p", 200, i, 10, 20, "consumer", "production", new Dictionary<string, string> { ["k"] = "v" });

    [Fact]
    public void An_envelope_round_trips_through_the_codec()
    {
        var envelope = new EventEnvelope(Guid.NewGuid(), DateTimeOffset.UnixEpoch, [Event(1), Event(2) with { EventId = null, ConsumerId = null, Attributes = null }]);
        var bodies = EventEnvelopeCodec.Encode(envelope);
        var decoded = EventEnvelopeCodec.Decode(Assert.Single(bodies));
        Assert.Equal(envelope.TenantId, decoded.TenantId);
        Assert.Equal(envelope.Events[1], decoded.Events[1]);
        Assert.Equal(envelope.Events[0].Attributes, decoded.Events[0].Attributes);
        Assert.Equal(envelope.Events[0] with { Attributes = null }, decoded.Events[0] with { Attributes = null });
    }

    [Fact]
    public void Bodies_are_written_in_the_binary_form_and_bodies_in_the_older_JSON_form_are_still_read()
    {
        var envelope = new EventEnvelope(Guid.NewGuid(), new DateTimeOffset(2026, 11, 25, 10, 0, 0, TimeSpan.Zero).AddTicks(1230),
            [Event(1) with { Timestamp = new DateTimeOffset(2026, 11, 25, 9, 59, 59, TimeSpan.Zero).AddTicks(4560), LatencyMs = 12.345, RequestBytes = 0, ResponseBytes = null }]);
        var binary = Assert.Single(EventEnvelopeCodec.Encode(envelope));
        Assert.Equal(0x08, binary[0]);
        var json = Assert.Single(JsonEnvelopeCodec.Encode(envelope, EventEnvelopeCodec.DefaultMaxBodyBytes));
        Assert.Equal((byte)'{', json[0]);
        foreach (var body in new[] { binary, json })
        {
            var decoded = EventEnvelopeCodec.Decode(body);
            Assert.Equal(envelope.ReceivedAt, decoded.ReceivedAt);
            var e = Assert.Single(decoded.Events);
            // Microsecond timestamps (what Postgres keeps), a zero that is not "absent", and an absent count.
            Assert.Equal((envelope.Events[0].Timestamp, 12.345, 0L, (long?)null), (e.Timestamp, e.LatencyMs, e.RequestBytes, e.ResponseBytes));
        }
        Assert.True(binary.Length < json.Length);
    }

    [Fact]
    public void Many_events_are_split_into_bodies_under_the_size_limit_and_none_is_lost()
    {
        var events = Enumerable.Range(0, 5000).Select(i => Event(i, 400)).ToList();
        var bodies = EventEnvelopeCodec.Encode(new EventEnvelope(Guid.NewGuid(), DateTimeOffset.UnixEpoch, events), maxBodyBytes: 100_000);
        Assert.True(bodies.Count > 1);
        Assert.All(bodies, b => Assert.True(b.Length <= 100_000));
        Assert.Equal(events.Select(e => e.EventId), bodies.SelectMany(b => EventEnvelopeCodec.Decode(b).Events).Select(e => e.EventId));
    }

    [Fact]
    public async Task The_event_hubs_publisher_uses_the_tenant_as_partition_key_and_sends_size_aware_batches()
    {
        var producer = new RecordingEventHubProducer(batchSizeBytes: 1_000_000);
        var tenant = Guid.NewGuid();
        // ~5.6 MB of events: more than one message, and more than one batch.
        var events = Enumerable.Range(0, 12_000).Select(i => Event(i, 400)).ToList();
        await new EventHubsEventPublisher(producer).PublishAsync(new EventEnvelope(tenant, DateTimeOffset.UnixEpoch, events), CancellationToken.None);

        Assert.True(producer.Sent.Count > 1);
        Assert.All(producer.Options, o => Assert.Equal(tenant.ToString(), o.PartitionKey));
        Assert.All(producer.Sent, batch => Assert.True(batch.Events.Sum(e => e.EventBody.ToArray().Length) <= 1_000_000));
        var received = producer.Sent.SelectMany(b => b.Events).SelectMany(e => EventEnvelopeCodec.Decode(e.EventBody.ToArray()).Events).ToList();
        Assert.Equal(events.Count, received.Count);
    }
}
