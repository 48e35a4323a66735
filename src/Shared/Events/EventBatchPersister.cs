using Microsoft.Extensions.Logging;
using Npgsql;
using PulseStream.Messaging;
using PulseStream.Metrics;
using PulseStream.Storage;

namespace PulseStream.Events;

/// <summary>
/// The Alerts consumer's write path (DESIGN.md §4.4): applies a consumed batch exactly once. In one transaction it
/// skips messages at or below the applied position, drops client retries already seen (tenant, event id), appends
/// the rest to the event store, adds them to the per-minute rollups, and records the new position. A batch that
/// keeps failing is dead-lettered (and the position advanced past it), never dropped.
/// </summary>
public sealed class EventBatchPersister(Database database, IEventStore eventStore, Tenancy.TenantLimitsStore limits, ILogger<EventBatchPersister> logger)
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
                await DeadLetterAsync(batch, e, ct);
                return new HashSet<Guid>();
            }
        }
    }

    private async Task<IReadOnlySet<Guid>> PersistOnceAsync(ConsumedBatch batch, CancellationToken ct) =>
        await database.InTransactionAsync<IReadOnlySet<Guid>>(async (connection, transaction) =>
        {
            var applied = await LockPositionAsync(connection, transaction, batch, ct);
            var fresh = batch.Messages.Where(m => m.SequenceNumber > applied).ToList();
            if (fresh.Count == 0) return new HashSet<Guid>();

            var rows = new List<(Guid TenantId, DateTimeOffset ReceivedAt, ApiEvent Event)>();
            foreach (var message in fresh)
            {
                var envelope = EventEnvelopeCodec.Decode(message.Body);
                rows.AddRange(envelope.Events.Select(e => (envelope.TenantId, envelope.ReceivedAt, e)));
            }
            // A batch may hold several tenants: each tenant's rows are written with that tenant set, so row-level
            // security checks every insert.
            foreach (var tenant in rows.GroupBy(r => r.TenantId))
            {
                await Database.SetTenantAsync(connection, transaction, tenant.Key, ct);
                var kept = await DropSeenEventIdsAsync(connection, transaction, tenant.ToList(), ct);
                kept = await RouteCardinality.ApplyAsync(connection, transaction, tenant.Key, kept, (await limits.GetAsync(tenant.Key, ct)).MaxRoutes, ct);
                await eventStore.AppendAsync(connection, transaction, kept, ct);
                await RollupWriter.ApplyAsync(connection, transaction, RollupWriter.Aggregate(kept.Select(r => (r.TenantId, r.Event))), ct);
            }
            // Rules are evaluated off this path (the EvaluateDueRules timer): the batch only marks its tenants due.
            await Alerting.RuleEvaluationSchedule.MarkDueAsync(connection, transaction, rows.Select(r => r.TenantId), ct);
            await SavePositionAsync(connection, transaction, batch.ConsumerGroup, batch.PartitionId, fresh[^1].SequenceNumber, ct);
            return rows.Select(r => r.TenantId).ToHashSet();
        }, ct);

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

    /// <summary>Keeps events without an id, and the first of each (tenant, id) not seen in the last 24 hours.</summary>
    private static async Task<List<(Guid TenantId, DateTimeOffset ReceivedAt, ApiEvent Event)>> DropSeenEventIdsAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, List<(Guid TenantId, DateTimeOffset ReceivedAt, ApiEvent Event)> rows, CancellationToken ct)
    {
        var withIds = rows.Where(r => r.Event.EventId is not null).Select(r => (r.TenantId, Id: r.Event.EventId!)).Distinct().ToList();
        if (withIds.Count == 0) return rows;

        var inserted = new HashSet<(Guid, string)>();
        await using (var command = new NpgsqlCommand("""
            INSERT INTO event_ids (tenant_id, event_id, seen_at)
            SELECT t, i, now() FROM unnest($1::uuid[], $2::text[]) AS u(t, i)
            ON CONFLICT (tenant_id, event_id) DO UPDATE SET seen_at = now()
                WHERE event_ids.seen_at < now() - interval '24 hours'
            RETURNING tenant_id, event_id
            """, connection, transaction))
        {
            command.Parameters.AddWithValue(withIds.Select(x => x.TenantId).ToArray());
            command.Parameters.AddWithValue(withIds.Select(x => x.Id).ToArray());
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct)) inserted.Add((reader.GetGuid(0), reader.GetString(1)));
        }

        var kept = new List<(Guid, DateTimeOffset, ApiEvent)>(rows.Count);
        foreach (var row in rows)
        {
            if (row.Event.EventId is null) kept.Add(row);
            else if (inserted.Remove((row.TenantId, row.Event.EventId))) kept.Add(row); // first occurrence only
        }
        return kept;
    }

    private async Task DeadLetterAsync(ConsumedBatch batch, Exception error, CancellationToken ct) =>
        await database.InTransactionAsync(async (connection, transaction) =>
        {
            var applied = await LockPositionAsync(connection, transaction, batch, ct);
            var fresh = batch.Messages.Where(m => m.SequenceNumber > applied).ToList();
            if (fresh.Count == 0) return;
            await using (var insert = new NpgsqlCommand("""
                INSERT INTO dead_letters (consumer_group, partition_id, sequence_number, body, error)
                SELECT $1, $2, s, b, $5 FROM unnest($3::bigint[], $4::bytea[]) AS d(s, b)
                """, connection, transaction))
            {
                insert.Parameters.AddWithValue(batch.ConsumerGroup);
                insert.Parameters.AddWithValue(batch.PartitionId);
                insert.Parameters.AddWithValue(fresh.Select(m => m.SequenceNumber).ToArray());
                insert.Parameters.AddWithValue(fresh.Select(m => m.Body).ToArray());
                insert.Parameters.AddWithValue(error.ToString());
                await insert.ExecuteNonQueryAsync(ct);
            }
            await SavePositionAsync(connection, transaction, batch.ConsumerGroup, batch.PartitionId, fresh[^1].SequenceNumber, ct);
        }, ct);
}
