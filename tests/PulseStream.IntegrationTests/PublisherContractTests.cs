using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using PulseStream.Events;
using PulseStream.Messaging;
using PulseStream.Storage;
using PulseStream.Testing;

namespace PulseStream.IntegrationTests;

/// <summary>
/// The one publishing contract, checked against both implementations: the local event log (real Postgres) and
/// Event Hubs (the SDK's producer with size-enforcing batches). Every event comes back once, in order per tenant,
/// in messages of at most 1 MB, all of a tenant's messages under its id as partition key.
/// </summary>
public class PublisherContractTests
{
    public static TheoryData<string> Publishers() => ["local-event-log", "event-hubs"];

    private static ApiEvent Event(int i, Guid tenant) => new($"{tenant:N}-{i}", DateTimeOffset.UtcNow, "GET", "/v1/" + new string('p', 300), "/v1/p",
        200, i, null, null, "c", "production", null);

    [Theory]
    [MemberData(nameof(Publishers))]
    public async Task Every_event_arrives_once_in_order_under_its_tenants_partition_key_in_messages_of_at_most_one_megabyte(string implementation)
    {
        var (a, b) = (Guid.NewGuid(), Guid.NewGuid());
        var envelopes = new[]
        {
            new EventEnvelope(a, DateTimeOffset.UtcNow, Enumerable.Range(0, 5000).Select(i => Event(i, a)).ToList()),  // ~2 MB: several messages
            new EventEnvelope(b, DateTimeOffset.UtcNow, Enumerable.Range(0, 10).Select(i => Event(i, b)).ToList()),
            new EventEnvelope(a, DateTimeOffset.UtcNow, Enumerable.Range(5000, 10).Select(i => Event(i, a)).ToList()),
        };

        var messages = implementation == "event-hubs" ? await ViaEventHubsAsync(envelopes) : await ViaLocalLogAsync(envelopes);

        Assert.All(messages, m => Assert.True(m.Body.Length <= 1_000_000, $"a message of {m.Body.Length} bytes"));
        foreach (var tenant in new[] { a, b })
        {
            var mine = messages.Where(m => EventEnvelopeCodec.Decode(m.Body).TenantId == tenant).ToList();
            Assert.All(mine, m => Assert.Equal(tenant.ToString(), m.PartitionKey));
            var ids = mine.SelectMany(m => EventEnvelopeCodec.Decode(m.Body).Events).Select(e => e.EventId).ToList();
            var expected = envelopes.Where(e => e.TenantId == tenant).SelectMany(e => e.Events).Select(e => e.EventId).ToList();
            Assert.Equal(expected, ids);
        }
        Assert.True(messages.Count >= 4, "the large envelope was not split into several messages");
    }

    private static async Task<List<(string? PartitionKey, byte[] Body)>> ViaEventHubsAsync(EventEnvelope[] envelopes)
    {
        var producer = new RecordingEventHubProducer();
        var publisher = new EventHubsEventPublisher(producer);
        foreach (var envelope in envelopes) await publisher.PublishAsync(envelope, default);
        return producer.Sent.SelectMany(batch => batch.Events.Select(e => (batch.PartitionKey, e.EventBody.ToArray()))).ToList();
    }

    private static async Task<List<(string? PartitionKey, byte[] Body)>> ViaLocalLogAsync(EventEnvelope[] envelopes)
    {
        var connectionString = await TestEnvironment.CreateDatabaseAsync("pulse_pub");
        await new Migrator(new MigrationSettings(connectionString, null, null), NullLogger<Migrator>.Instance).ApplyAsync(default);
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        var log = new LocalEventLog(dataSource);
        await log.EnsurePartitionsAsync("contract", default);
        var publisher = new LocalEventLogPublisher(log, "contract");
        foreach (var envelope in envelopes) await publisher.PublishAsync(envelope, default);

        var messages = new List<(string?, byte[])>();
        for (var partition = 0; partition < log.PartitionCount; partition++)
            messages.AddRange((await log.ReadAsync("contract", partition, 0, 10_000, default)).Select(m => (m.PartitionKey, m.Body)));
        // All of one tenant's messages are on one partition, in sequence order.
        Assert.Equal(2, messages.Select(m => m.Item1).Distinct().Count());
        return messages;
    }
}
