using PulseStream.Functions.EventHubs;
using PulseStream.Hosting;
using PulseStream.Messaging;

namespace PulseStream.LocalHost.Functions;

/// <summary>
/// Binds every Event Hub trigger to the local event log: one reader per (function, partition), batches of up to
/// <see cref="MaxBatchSize"/> messages in sequence order with the trigger's metadata arrays, and a checkpoint per
/// consumer group written after the function returns — success or failure — as the Functions host does
/// (AZURE.md). A crash before the checkpoint redelivers the batch: at least once.
/// </summary>
public sealed class EventHubFunctionService(FunctionCatalog catalog, FunctionInvoker invoker, LocalEventLog log, IConfiguration configuration,
    ILogger<EventHubFunctionService> logger) : BackgroundService
{
    public const int MaxBatchSize = 100;
    private static readonly TimeSpan IdlePoll = TimeSpan.FromSeconds(1);

    /// <summary>
    /// After a batch smaller than <see cref="MaxBatchSize"/>, a reader lets messages gather this long before it reads
    /// again. Without it a busy partition is read after every commit, one small batch at a time, and the readers' fixed
    /// cost per batch (a read, an invocation, a transaction, a checkpoint) competes with ingest for the same cores; with
    /// it a reader costs at most ten batches a second per partition, at up to this much delay (as the Event Hubs
    /// trigger's receive loop and prefetch deliver batches rather than single messages).
    /// </summary>
    public static readonly TimeSpan BatchLinger = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// <c>Pulse:Consumers=false</c> starts no readers: ingest still appends to the durable log, and a later host with
    /// consumers stores everything from the checkpoints on. For maintenance, and for measuring the ingest edge on
    /// its own as it runs in Azure, on instances of its own (the benchmark's "ingest alone" rows).
    /// </summary>
    public const string ConsumersSetting = "Pulse:Consumers";

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var readers = new List<Task>();
        if (!configuration.GetValue(ConsumersSetting, true))
        {
            logger.LogWarning("Event Hub consumers are off ({Setting}=false): accepted events stay in the local event log until a host with consumers runs.", ConsumersSetting);
            return Task.CompletedTask;
        }
        foreach (var function in catalog.Functions.Where(f => f.Trigger is EventHubTriggerAttribute))
        {
            var trigger = (EventHubTriggerAttribute)function.Trigger;
            var hub = Resolve(trigger.EventHubName);
            var group = Resolve(trigger.ConsumerGroup ?? "$Default");
            for (var partition = 0; partition < log.PartitionCount; partition++)
                readers.Add(ReadPartitionAsync(function, hub, group, partition, stoppingToken));
        }
        return Task.WhenAll(readers);
    }

    /// <summary>The position to start from, retried until the database answers: a reader that gave up here would leave its partition unread.</summary>
    private async Task<long> ReadCheckpointAsync(FunctionDescriptor function, string hub, string group, int partition, CancellationToken ct)
    {
        while (true)
        {
            try
            {
                return await log.GetCheckpointAsync(hub, group, partition, ct);
            }
            catch (Exception e) when (!ct.IsCancellationRequested)
            {
                logger.LogWarning("Reading the checkpoint of partition {Partition} for {Function} failed: {Error}", partition, function.Name, e.Message);
                await Task.Delay(IdlePoll, ct);
            }
        }
    }

    private string Resolve(string value) =>
        value.StartsWith('%') && value.EndsWith('%') ? configuration[value.Trim('%')] ?? throw new InvalidOperationException($"Setting {value} is not set.") : value;

    private async Task ReadPartitionAsync(FunctionDescriptor function, string hub, string group, int partition, CancellationToken ct)
    {
        using var signal = new SemaphoreSlim(0);
        void OnAppended(string appendedHub, int appendedPartition)
        {
            if (appendedHub == hub && appendedPartition == partition && signal.CurrentCount == 0) signal.Release();
        }
        log.Appended += OnAppended;
        try
        {
            var checkpoint = await ReadCheckpointAsync(function, hub, group, partition, ct);
            while (!ct.IsCancellationRequested)
            {
                List<LoggedMessage> messages;
                try
                {
                    messages = await log.ReadAsync(hub, partition, checkpoint, MaxBatchSize, ct);
                }
                catch (Exception e) when (!ct.IsCancellationRequested)
                {
                    logger.LogWarning("Reading partition {Partition} for {Function} failed: {Error}", partition, function.Name, e.Message);
                    await Task.Delay(IdlePoll, ct);
                    continue;
                }
                if (messages.Count == 0)
                {
                    await signal.WaitAsync(IdlePoll, ct);
                    continue;
                }

                var bindingData = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase)
                {
                    ["sequenceNumberArray"] = messages.Select(m => m.SequenceNumber).ToArray(),
                    ["enqueuedTimeUtcArray"] = messages.Select(m => m.EnqueuedTime.UtcDateTime).ToArray(),
                    ["partitionKeyArray"] = messages.Select(m => m.PartitionKey).ToArray(),
                    ["offsetArray"] = messages.Select(m => m.SequenceNumber.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray(),
                    ["partitionContext"] = new TriggerPartitionContext { EventHubName = hub, ConsumerGroup = group, PartitionId = partition.ToString(System.Globalization.CultureInfo.InvariantCulture) },
                };
                var stage = PipelineStages.Start();
                try
                {
                    await invoker.InvokeAsync(function, messages.Select(m => m.Body).ToArray(), bindingData, ct);
                }
                catch (Exception e) when (!ct.IsCancellationRequested)
                {
                    logger.LogError(e, "Event Hub function {Function} failed on partition {Partition}", function.Name, partition);
                }
                if (ct.IsCancellationRequested) return; // stopped mid-batch: no checkpoint, so the batch is redelivered
                PipelineStages.Record($"consumer.invoke.{function.Name}", stage, messages.Count);
                checkpoint = messages[^1].SequenceNumber;
                try
                {
                    await log.CheckpointAsync(hub, group, partition, checkpoint, ct);
                }
                catch (Exception e) when (!ct.IsCancellationRequested)
                {
                    // The reader goes on from its own position; the next batch's checkpoint covers this one, and a
                    // restart before then redelivers it, which the function stores once (by its position) anyway.
                    logger.LogWarning("Checkpointing partition {Partition} for {Function} at {Sequence} failed: {Error}",
                        partition, function.Name, checkpoint, e.Message);
                }
                if (messages.Count < MaxBatchSize)
                {
                    stage = PipelineStages.Start();
                    await Task.Delay(BatchLinger, ct);
                    PipelineStages.Record("consumer.linger", stage, 1);
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        finally
        {
            log.Appended -= OnAppended;
        }
    }
}
