using Npgsql;
using NpgsqlTypes;
using PulseStream.Events;
using PulseStream.Hosting;

namespace PulseStream.Metrics;

/// <summary>
/// Maintains every rollup set and tier from one tenant's consumed events, in the consumer's transaction (DESIGN.md
/// §4.2), so each tier is written exactly once with the events and their position, and a late event (up to 7 days
/// old) lands in every tier at once. The batch is aggregated in memory at each set's finest tier and folded into the
/// coarser ones; then, under the tenant's rollup lock, the keys' stored sketches are read, merged here (a binary
/// sketch merges in microseconds in .NET, while a SQL merge would parse it row by row), and every row is upserted
/// with its counts added in SQL. Two round trips per tenant and batch, whatever the number of tables.
/// </summary>
public static class RollupWriter
{
    /// <summary>The batch's cells per set and tier.</summary>
    public static Dictionary<(RollupSet Set, RollupTier Tier), Dictionary<RollupKey, RollupCell>> Aggregate(IEnumerable<ApiEvent> events)
    {
        var routes = new Dictionary<RollupKey, RollupCell>();
        var consumers = new Dictionary<RollupKey, RollupCell>();
        var totals = new Dictionary<RollupKey, RollupCell>();
        foreach (var e in events)
        {
            var ts = e.Timestamp.ToUniversalTime();
            var minute = RollupTier.Minute.Floor(ts);
            Cell(routes, new RollupKey(minute, e.Environment, e.Route, e.Method)).Add(e);
            if (e.ConsumerId is { } consumer) Cell(consumers, new RollupKey(minute, e.Environment, consumer)).Add(e);
            Cell(totals, new RollupKey(RollupTier.TenSeconds.Floor(ts), e.Environment)).Add(e);
        }
        var cells = new Dictionary<(RollupSet, RollupTier), Dictionary<RollupKey, RollupCell>>();
        foreach (var (set, finest) in new[] { (RollupSet.Routes, routes), (RollupSet.Consumers, consumers), (RollupSet.Totals, totals) })
        {
            if (finest.Count == 0) continue;
            // The finest tier's cells are already keyed by its buckets; each coarser tier folds the one before it.
            var current = finest;
            for (var i = 0; i < set.Tiers.Length; i++)
            {
                if (i > 0) current = FoldInto(current, set.Tiers[i]);
                cells[(set, set.Tiers[i])] = current;
            }
        }
        return cells;
    }

    private static RollupCell Cell(Dictionary<RollupKey, RollupCell> cells, RollupKey key)
    {
        if (!cells.TryGetValue(key, out var cell)) cells[key] = cell = new RollupCell();
        return cell;
    }

    private static Dictionary<RollupKey, RollupCell> FoldInto(Dictionary<RollupKey, RollupCell> finer, RollupTier tier)
    {
        var coarser = new Dictionary<RollupKey, RollupCell>();
        foreach (var (key, cell) in finer) Cell(coarser, key with { Bucket = tier.Floor(key.Bucket) }).Merge(cell);
        return coarser;
    }

    public static async Task ApplyAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId,
        Dictionary<(RollupSet Set, RollupTier Tier), Dictionary<RollupKey, RollupCell>> cells, CancellationToken ct)
    {
        var targets = cells.Where(c => c.Value.Count > 0).Select(c => (c.Key.Set, c.Key.Tier, Keys: c.Value.Keys.ToArray(), Cells: c.Value)).ToList();
        if (targets.Count == 0) return;
        var keyCount = targets.Sum(t => t.Keys.Length);
        var stage = PipelineStages.Start();

        // The sketch is read, merged and written back: the lock keeps two writers of one tenant (a replay beside the
        // consumer, two instances during a rebalance) from both merging into the sketch the other is replacing.
        await using (var batch = new NpgsqlBatch(connection, transaction))
        {
            var lockCommand = new NpgsqlBatchCommand("SELECT pg_advisory_xact_lock(hashtextextended('rollups:' || $1::text, 0))");
            lockCommand.Parameters.Add(new NpgsqlParameter { Value = tenantId });
            batch.BatchCommands.Add(lockCommand);
            foreach (var (set, tier, keys, _) in targets) batch.BatchCommands.Add(ReadSketches(set, tier, tenantId, keys));
            await using var reader = await batch.ExecuteReaderAsync(ct);
            foreach (var (_, _, keys, byKey) in targets)
            {
                await reader.NextResultAsync(ct);
                while (await reader.ReadAsync(ct))
                    SketchCodec.MergeInto(byKey[keys[reader.GetInt64(0) - 1]].Histogram, reader.GetFieldValue<byte[]>(1));
            }
        }

        stage = PipelineStages.Record("consumer.rollups.read", stage, keyCount);
        await using var upserts = new NpgsqlBatch(connection, transaction);
        foreach (var (set, tier, keys, byKey) in targets) upserts.BatchCommands.Add(Upsert(set, tier, tenantId, keys, byKey));
        await upserts.ExecuteNonQueryAsync(ct);
        PipelineStages.Record("consumer.rollups.upsert", stage, keyCount);
    }

    private static string DimensionMatch(RollupSet set) =>
        string.Concat(set.Dimensions.Select((d, i) => $" AND r.{d} = k.d{i + 1}"));

    private static NpgsqlBatchCommand ReadSketches(RollupSet set, RollupTier tier, Guid tenantId, RollupKey[] keys)
    {
        // One primary-key lookup per key (a lateral subquery), whatever the planner guesses of the keys' number: a
        // hash join would read the whole table, every tenant's rows, under the row-level security filter.
        var command = new NpgsqlBatchCommand($"""
            SELECT k.i, r.sketch
            FROM unnest($2::timestamptz[], $3::text[], $4::text[], $5::text[]) WITH ORDINALITY AS k(bucket, environment, d1, d2, i)
            CROSS JOIN LATERAL (
                SELECT r.sketch FROM {set.Table(tier)} r
                WHERE r.tenant_id = $1 AND r.bucket = k.bucket AND r.environment = k.environment{DimensionMatch(set)}
                LIMIT 1) AS r
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
        AddKeyParameters(command, keys);
        return command;
    }

    private static void AddKeyParameters(NpgsqlBatchCommand command, RollupKey[] keys)
    {
        command.Parameters.Add(new NpgsqlParameter { Value = keys.Select(k => k.Bucket.UtcDateTime).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz });
        command.Parameters.Add(new NpgsqlParameter { Value = keys.Select(k => k.Environment).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = keys.Select(k => k.First).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = keys.Select(k => k.Second).ToArray() });
    }

    private static NpgsqlBatchCommand Upsert(RollupSet set, RollupTier tier, Guid tenantId, RollupKey[] keys, Dictionary<RollupKey, RollupCell> byKey)
    {
        var dimensions = string.Concat(set.Dimensions.Select(d => $", {d}"));
        var dimensionValues = string.Concat(set.Dimensions.Select((_, i) => $", d{i + 1}"));
        var command = new NpgsqlBatchCommand($"""
            INSERT INTO {set.Table(tier)} AS r (tenant_id, bucket, environment{dimensions}, requests, status_1xx, status_2xx, status_3xx,
                status_4xx, status_5xx, latency_sum, latency_max, request_bytes, response_bytes, last_seen, sketch)
            SELECT $1, bucket, environment{dimensionValues}, requests, s1, s2, s3, s4, s5, latency_sum, latency_max, request_bytes, response_bytes, last_seen, sketch
            FROM unnest($2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::bigint[], $8::bigint[], $9::bigint[], $10::bigint[],
                        $11::bigint[], $12::float8[], $13::float8[], $14::bigint[], $15::bigint[], $16::timestamptz[], $17::bytea[])
                 AS k(bucket, environment, d1, d2, requests, s1, s2, s3, s4, s5, latency_sum, latency_max, request_bytes, response_bytes, last_seen, sketch)
            ON CONFLICT (tenant_id, bucket, environment{dimensions}) DO UPDATE SET
                requests = r.requests + excluded.requests,
                status_1xx = r.status_1xx + excluded.status_1xx,
                status_2xx = r.status_2xx + excluded.status_2xx,
                status_3xx = r.status_3xx + excluded.status_3xx,
                status_4xx = r.status_4xx + excluded.status_4xx,
                status_5xx = r.status_5xx + excluded.status_5xx,
                latency_sum = r.latency_sum + excluded.latency_sum,
                latency_max = greatest(r.latency_max, excluded.latency_max),
                request_bytes = saturating_add(r.request_bytes, excluded.request_bytes),
                response_bytes = saturating_add(r.response_bytes, excluded.response_bytes),
                last_seen = greatest(r.last_seen, excluded.last_seen),
                sketch = excluded.sketch
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
        AddKeyParameters(command, keys);
        var cells = keys.Select(k => byKey[k]).ToArray();
        command.Parameters.Add(new NpgsqlParameter { Value = cells.Select(c => c.Requests).ToArray() });
        for (var i = 0; i < 5; i++) command.Parameters.Add(new NpgsqlParameter { Value = cells.Select(c => c.StatusClasses[i]).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = cells.Select(c => c.LatencySum).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = cells.Select(c => c.LatencyMax).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = cells.Select(c => c.RequestBytes).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = cells.Select(c => c.ResponseBytes).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = cells.Select(c => c.LastSeen.UtcDateTime).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz });
        command.Parameters.Add(new NpgsqlParameter { Value = cells.Select(c => c.Histogram.ToBytes()).ToArray() });
        return command;
    }
}
