namespace PulseStream.Messaging;

/// <summary>One message of a batch delivered by the Event Hub trigger, with its position in the partition.</summary>
public sealed record ConsumedMessage(long SequenceNumber, DateTimeOffset EnqueuedTime, byte[] Body);

/// <summary>A batch delivered to one consumer group from one partition, in sequence order.</summary>
public sealed record ConsumedBatch(string ConsumerGroup, string PartitionId, IReadOnlyList<ConsumedMessage> Messages)
{
    /// <summary>Builds a batch from the Event Hub trigger's parallel metadata arrays.</summary>
    public static ConsumedBatch FromTrigger(string consumerGroup, string? partitionId, byte[][] bodies, long[]? sequenceNumbers, DateTime[]? enqueuedTimes)
    {
        if (sequenceNumbers is null || sequenceNumbers.Length != bodies.Length)
            throw new ArgumentException("The trigger must supply one sequence number per message.", nameof(sequenceNumbers));
        var messages = new ConsumedMessage[bodies.Length];
        for (var i = 0; i < bodies.Length; i++)
        {
            var enqueued = enqueuedTimes is { } times && i < times.Length ? new DateTimeOffset(DateTime.SpecifyKind(times[i], DateTimeKind.Utc)) : DateTimeOffset.UtcNow;
            messages[i] = new ConsumedMessage(sequenceNumbers[i], enqueued, bodies[i]);
        }
        return new ConsumedBatch(consumerGroup, partitionId ?? "0", messages);
    }
}

/// <summary>The partition context the trigger passes as JSON binding data (<c>PartitionContext</c>).</summary>
public sealed class TriggerPartitionContext
{
    public string? EventHubName { get; set; }
    public string? ConsumerGroup { get; set; }
    public string? PartitionId { get; set; }
}
