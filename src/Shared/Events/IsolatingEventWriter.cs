using Npgsql;
using PulseStream.Hosting;
using PulseStream.Metrics;
using PulseStream.Storage;

namespace PulseStream.Events;

/// <summary>An event on its way to the store, with its source: the sequence number of its message, or a dead letter's id.</summary>
public sealed record PendingEvent(long Source, Guid TenantId, DateTimeOffset ReceivedAt, ApiEvent Event);

/// <summary>An event the store could not hold on its own, and why.</summary>
public sealed record RejectedEvent(PendingEvent Pending, Exception Error);

/// <summary>What a write stored (the tenants with new data) and what it could not.</summary>
public sealed record WriteOutcome(IReadOnlySet<Guid> StoredTenants, IReadOnlyList<RejectedEvent> Rejected);

/// <summary>
/// Writes events in the caller's transaction so that an event the store cannot hold costs nothing else
/// (DESIGN.md §4.12). Each attempt runs inside a savepoint: the tenant set, client-retry dedup (<c>event_ids</c>),
/// route cardinality, the rows and the rollups, so a rolled-back attempt leaves no trace. The whole set is tried
/// first (one savepoint: the cost when nothing fails); when it fails with a failure the data causes, each tenant's
/// events are tried alone, and a tenant's failing events are split in halves down to the single events that fail
/// on their own (<see cref="Bisection"/>). A failure the data does not cause (<see cref="StoreFailures.IsCausedByData"/>:
/// a lost connection, a deadlock, a missing grant) is not isolated: it aborts the transaction for the caller to retry
/// whole, rather than dead-lettering every event one by one.
/// </summary>
public sealed class IsolatingEventWriter(IEventStore eventStore)
{
    private const string Savepoint = "event_rows";

    /// <param name="limits">Each tenant's limits (routes, consumers), read before the transaction (a lookup failure is not the data's fault).</param>
    public async Task<WriteOutcome> WriteAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<PendingEvent> events,
        IReadOnlyDictionary<Guid, Tenancy.TenantLimits> limits, CancellationToken ct)
    {
        var stored = new HashSet<Guid>();
        if (events.Count == 0) return new(stored, []);

        async Task<Exception?> AttemptAsync(IReadOnlyList<PendingEvent> attempt)
        {
            var stage = PipelineStages.Start();
            await transaction.SaveAsync(Savepoint, ct);
            PipelineStages.Record("consumer.savepoint", stage, 1);
            try
            {
                await ApplyAsync(connection, transaction, attempt, limits, ct);
            }
            catch (Exception e) when (StoreFailures.IsCausedByData(e, connection))
            {
                await transaction.RollbackAsync(Savepoint, ct);
                await transaction.ReleaseAsync(Savepoint, ct);
                return e;
            }
            stage = PipelineStages.Start();
            await transaction.ReleaseAsync(Savepoint, ct);
            PipelineStages.Record("consumer.savepoint", stage, 1);
            foreach (var e in attempt) stored.Add(e.TenantId);
            return null;
        }

        if (await AttemptAsync(events) is not { } wholeError) return new(stored, []);
        var rejected = new List<RejectedEvent>();
        var tenants = events.GroupBy(e => e.TenantId).Select(g => g.ToList()).ToList();
        foreach (var tenant in tenants)
        {
            // With one tenant the whole set was this tenant's group: it need not be tried again before splitting.
            foreach (var (pending, error) in await Bisection.IsolateAsync(tenant, AttemptAsync, tenants.Count == 1 ? wholeError : null))
                rejected.Add(new RejectedEvent(pending, error));
        }
        return new(stored, rejected);
    }

    private async Task ApplyAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<PendingEvent> events,
        IReadOnlyDictionary<Guid, Tenancy.TenantLimits> limits, CancellationToken ct)
    {
        // A set may hold several tenants: each tenant's rows are written with that tenant set, so row-level security
        // checks every insert. The setting is inside the savepoint too: a rollback reverts it.
        foreach (var tenant in events.GroupBy(e => e.TenantId))
        {
            var tenantLimits = limits.TryGetValue(tenant.Key, out var l) ? l : Tenancy.TenantLimits.Default;
            var stage = PipelineStages.Start();
            await Database.SetTenantAsync(connection, transaction, tenant.Key, ct);
            stage = PipelineStages.Record("consumer.tenant", stage, 1);
            var rows = tenant.Select(e => (e.TenantId, e.ReceivedAt, e.Event)).ToList();
            var kept = await DropSeenEventIdsAsync(connection, transaction, rows, ct);
            stage = PipelineStages.Record("consumer.dedup", stage, rows.Count);
            var overRoutes = await CardinalityBound.Routes.OverLimitAsync(connection, transaction, tenant.Key, kept.Select(r => r.Event.Route).ToList(), tenantLimits.MaxRoutes, ct);
            if (overRoutes.Count > 0)
                kept = kept.Select(r => overRoutes.Contains(r.Event.Route) ? r with { Event = r.Event with { Route = CardinalityBound.Routes.Other } } : r).ToList();
            stage = PipelineStages.Record("consumer.cardinality", stage, kept.Count);
            await eventStore.AppendAsync(connection, transaction, kept, ct);
            stage = PipelineStages.Record("consumer.store", stage, kept.Count);
            // Raw events keep the consumer as sent; only the rollups fold consumers beyond the bound into one.
            var consumers = kept.Where(r => r.Event.ConsumerId is not null).Select(r => r.Event.ConsumerId!).ToList();
            var overConsumers = await CardinalityBound.Consumers.OverLimitAsync(connection, transaction, tenant.Key, consumers, tenantLimits.MaxConsumers, ct);
            stage = PipelineStages.Record("consumer.cardinality", stage, 0);
            var rolled = kept.Select(r => r.Event.ConsumerId is { } c && overConsumers.Contains(c) ? r.Event with { ConsumerId = CardinalityBound.Consumers.Other } : r.Event);
            var cells = RollupWriter.Aggregate(rolled);
            PipelineStages.Record("consumer.rollups.aggregate", stage, kept.Count);
            await RollupWriter.ApplyAsync(connection, transaction, tenant.Key, cells, ct);
        }
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
}
