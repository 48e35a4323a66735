using Azure.Messaging.EventHubs;
using Azure.Messaging.EventHubs.Producer;

namespace PulseStream.Testing;

/// <summary>
/// An <see cref="EventHubProducerClient"/> that keeps what it is asked to send, with batches that enforce a size
/// limit as the service does (through the SDK's model factory), so the Event Hubs publisher runs without a hub.
/// </summary>
public sealed class RecordingEventHubProducer(long batchSizeBytes = 1_000_000) : EventHubProducerClient
{
    public List<CreateBatchOptions> Options { get; } = [];
    public List<(string? PartitionKey, List<EventData> Events)> Sent { get; } = [];
    private readonly Dictionary<EventDataBatch, (string? Key, List<EventData> Store)> _contents = [];

    public override ValueTask<EventDataBatch> CreateBatchAsync(CreateBatchOptions options, CancellationToken cancellationToken = default)
    {
        Options.Add(options);
        var store = new List<EventData>();
        long size = 0;
        var batch = EventHubsModelFactory.EventDataBatch(batchSizeBytes, store, options, e =>
        {
            var length = e.EventBody.ToArray().Length;
            if (size + length > batchSizeBytes) return false;
            size += length;
            return true;
        });
        _contents[batch] = (options.PartitionKey, store);
        return ValueTask.FromResult(batch);
    }

    public override Task SendAsync(EventDataBatch eventBatch, CancellationToken cancellationToken = default)
    {
        var (key, store) = _contents[eventBatch];
        Sent.Add((key, [.. store]));
        return Task.CompletedTask;
    }
}
