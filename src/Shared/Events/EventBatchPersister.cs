using Microsoft.Extensions.Logging;
using Npgsql;
using PulseStream.Hosting;
using PulseStream.Messaging;
using PulseStream.Operations;
using PulseStream.Storage;

namespace PulseStream.Events;

/// <summary>
/// The Alerts consumer's write path (DESIGN.md §4.4, §4.12): applies a consumed batch exactly once. In one
/// transaction it locks the partition's applied position, skips messages at or below it, writes the rest through
/// <see cref="IsolatingEventWriter"/> (client retries already seen dropped, rows, rollups), dead-letters what the
/// store cannot hold (a message that does not decode, whole; an event that fails on its own, alone) and records the
/// new position: one bad event costs nothing else, neither other tenants' events nor its own tenant's. A transient
/// failure retries the whole batch with backoff; a batch that keeps failing so is dead-lettered message by message
/// (and the position advanced past it), never dropped.
/// </summary>
public sealed class EventBatchPersister(Database database, IsolatingEventWriter writer, Tenancy.TenantLimitsStore limits, ILogger<EventBatchPersister> logger)
{
    internal static readonly TimeSpan[] RetryDelays = [TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(3)];

    /// <summary>Persists the batch; returns the tenants whose data changed.</summary>
    public async Task<IReadOnlySet<Guid>> PersistAsync(ConsumedBatch batch, CancellationToken ct)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return await PersistOnceAsync(batch, ct);
            }
            catch (Exception e) when (e is not OperationCanceledException && attempt < RetryDelays.Length)
            {
                logger.LogWarning(e, "Persisting batch from partition {PartitionId} failed (attempt {Attempt}); retrying", batch.PartitionId, attempt + 1);
                await Task.Delay(RetryDelays[attempt], ct);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogError(e, "Persisting batch from partition {PartitionId} failed; dead-lettering {Count} messages", batch.PartitionId, batch.Messages.Count);
                await DeadLetterAsync(batch, e, RetryDelays.Length + 1, ct);
                return new HashSet<Guid>();
            }
        }
    }

    private async Task<IReadOnlySet<Guid>> PersistOnceAsync(ConsumedBatch batch, CancellationToken ct)
    {
        // Decoding and the tenants' limits come before the transaction: a lookup that fails is no event's fault, so it
        // fails the attempt (to be retried) rather than being isolated.
        var begun = PipelineStages.Start();
        var events = new List<PendingEvent>();
        var undecodable = new List<(ConsumedMessage Message, Exception Error)>();
        foreach (var message in batch.Messages)
        {
            try
            {
                var envelope = EventEnvelopeCodec.Decode(message.Body);
                events.AddRange(envelope.Events.Select(e => new PendingEvent(message.SequenceNumber, envelope.TenantId, envelope.ReceivedAt, e)));
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                undecodable.Add((message, e));
            }
        }
        var stage = PipelineStages.Record("consumer.decode", begun, events.Count);
        var tenantLimits = new Dictionary<Guid, Tenancy.TenantLimits>();
        foreach (var tenant in events.Select(e => e.TenantId).Distinct()) tenantLimits[tenant] = await limits.GetAsync(tenant, ct);
        stage = PipelineStages.Record("consumer.limits", stage, tenantLimits.Count);

        var (stored, letters) = await database.InTransactionAsync(async (connection, transaction) =>
        {
            stage = PipelineStages.Record("consumer.connect", stage, 1);
            var applied = await LockPositionAsync(connection, transaction, batch, ct);
            stage = PipelineStages.Record("consumer.position", stage, 1);
            var fresh = batch.Messages.Where(m => m.SequenceNumber > applied).ToList();
            if (fresh.Count == 0) return ((IReadOnlySet<Guid>)new HashSet<Guid>(), new List<NewDeadLetter>());

            var outcome = await writer.WriteAsync(connection, transaction, events.Where(e => e.Source > applied).ToList(), tenantLimits, ct);
            stage = PipelineStages.Start();
            var letters = undecodable.Where(u => u.Message.SequenceNumber > applied)
                .Select(u => NewDeadLetter.ForMessage(batch.ConsumerGroup, batch.PartitionId, u.Message.SequenceNumber, u.Message.Body, 1, StoreFailures.Describe(u.Error)))
                .Concat(outcome.Rejected.Select(r => NewDeadLetter.ForEvents(batch.ConsumerGroup, batch.PartitionId, r.Pending.Source, r.Pending.TenantId,
                    r.Pending.ReceivedAt, [r.Pending.Event], 1, StoreFailures.Describe(r.Error))))
                .ToList();
            await DeadLetterStore.InsertAsync(connection, transaction, letters, ct);
            // Rules are evaluated off this path (the EvaluateDueRules timer): the batch only marks its tenants due.
            await Alerting.RuleEvaluationSchedule.MarkDueAsync(connection, transaction, outcome.StoredTenants, ct);
            await SavePositionAsync(connection, transaction, batch.ConsumerGroup, batch.PartitionId, fresh[^1].SequenceNumber, ct);
            stage = PipelineStages.Record("consumer.finish", stage, 1);
            return (outcome.StoredTenants, letters);
        }, ct);
        PipelineStages.Record("consumer.commit", stage, 1);
        PipelineStages.Record("consumer.batch", begun, events.Count);

        foreach (var letter in letters)
        {
            logger.LogWarning("Dead-lettered {Events} event(s) of tenant {TenantId} from partition {PartitionId} sequence {SequenceNumber}: {Error}",
                letter.EventCount, letter.TenantId, batch.PartitionId, letter.SequenceNumber, letter.Error);
        }
        return stored;
    }

    private static async Task<long> LockPositionAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, ConsumedBatch batch, CancellationToken ct)
    {
        // Insert-if-missing then lock: two instances that briefly both own a partition (a rebalance) serialise here.
        await using (var ensure = new NpgsqlCommand(
            "INSERT INTO consumer_positions (consumer_group, partition_id, sequence_number) VALUES ($1, $2, -1) ON CONFLICT DO NOTHING",
            connection, transaction))
        {
            ensure.Parameters.AddWithValue(batch.ConsumerGroup);
            ensure.Parameters.AddWithValue(batch.PartitionId);
            await ensure.ExecuteNonQueryAsync(ct);
        }
        await using var select = new NpgsqlCommand(
            "SELECT sequence_number FROM consumer_positions WHERE consumer_group = $1 AND partition_id = $2 FOR UPDATE",
            connection, transaction);
        select.Parameters.AddWithValue(batch.ConsumerGroup);
        select.Parameters.AddWithValue(batch.PartitionId);
        return (long)(await select.ExecuteScalarAsync(ct))!;
    }

    private static async Task SavePositionAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string group, string partition, long sequence, CancellationToken ct)
    {
        await using var update = new NpgsqlCommand(
            "UPDATE consumer_positions SET sequence_number = $3, updated_at = now() WHERE consumer_group = $1 AND partition_id = $2",
            connection, transaction);
        update.Parameters.AddWithValue(group);
        update.Parameters.AddWithValue(partition);
        update.Parameters.AddWithValue(sequence);
        await update.ExecuteNonQueryAsync(ct);
    }

    /// <summary>The last resort for a batch that failed every attempt: each fresh message is dead-lettered whole.</summary>
    private async Task DeadLetterAsync(ConsumedBatch batch, Exception error, int attempts, CancellationToken ct) =>
        await database.InTransactionAsync(async (connection, transaction) =>
        {
            var applied = await LockPositionAsync(connection, transaction, batch, ct);
            var fresh = batch.Messages.Where(m => m.SequenceNumber > applied).ToList();
            if (fresh.Count == 0) return;
            var description = StoreFailures.Describe(error);
            await DeadLetterStore.InsertAsync(connection, transaction,
                fresh.Select(m => NewDeadLetter.ForMessage(batch.ConsumerGroup, batch.PartitionId, m.SequenceNumber, m.Body, attempts, description)).ToList(), ct);
            await SavePositionAsync(connection, transaction, batch.ConsumerGroup, batch.PartitionId, fresh[^1].SequenceNumber, ct);
        }, ct);
}
