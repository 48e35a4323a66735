using Npgsql;

namespace PulseStream.Metrics;

/// <summary>
/// Bounds the distinct values a tenant can have in one dimension (routes: default 2,000; consumers: default 10,000):
/// a batch's new values are admitted, most frequent first, while the tenant is under its limit; events with any other
/// new value are recorded under <see cref="Other"/>, counted in the overflow table so the tenant sees that it happened.
/// Runs in the consumer's transaction with the tenant set; a tenant's events arrive on one partition, so one consumer
/// admits its values at a time. Table and column names come only from the two instances below.
/// </summary>
public sealed record CardinalityBound(string Table, string Column, string OverflowTable, string OverflowColumn, string Other)
{
    public static readonly CardinalityBound Routes = new("tenant_routes", "route", "route_overflow", "routes", "/{other}");
    public static readonly CardinalityBound Consumers = new("tenant_consumers", "consumer_id", "consumer_overflow", "consumers", "{other}");

    /// <summary>The values (of <paramref name="values"/>, one per event) that are over the limit and so count as <see cref="Other"/>.</summary>
    public async Task<HashSet<string>> OverLimitAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId,
        IReadOnlyCollection<string> values, int limit, CancellationToken ct)
    {
        var rejected = new HashSet<string>(StringComparer.Ordinal);
        if (values.Count == 0) return rejected;
        var byFrequency = values.GroupBy(v => v, StringComparer.Ordinal).OrderByDescending(g => g.Count()).Select(g => g.Key).ToArray();

        var known = new HashSet<string>(StringComparer.Ordinal);
        await using (var select = new NpgsqlCommand($"SELECT {Column} FROM {Table} WHERE tenant_id = $1 AND {Column} = ANY($2)", connection, transaction))
        {
            select.Parameters.AddWithValue(tenantId);
            select.Parameters.AddWithValue(byFrequency);
            await using var reader = await select.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct)) known.Add(reader.GetString(0));
        }
        var fresh = byFrequency.Where(v => !known.Contains(v)).ToList();
        if (fresh.Count == 0) return rejected;

        long count;
        await using (var countCommand = new NpgsqlCommand($"SELECT count(*) FROM {Table} WHERE tenant_id = $1", connection, transaction))
        {
            countCommand.Parameters.AddWithValue(tenantId);
            count = (long)(await countCommand.ExecuteScalarAsync(ct))!;
        }
        var admitted = fresh.Take((int)Math.Max(0, limit - count)).ToList();
        if (admitted.Count > 0)
        {
            await using var insert = new NpgsqlCommand(
                $"INSERT INTO {Table} (tenant_id, {Column}) SELECT $1, unnest($2::text[]) ON CONFLICT DO NOTHING", connection, transaction);
            insert.Parameters.AddWithValue(tenantId);
            insert.Parameters.AddWithValue(admitted.ToArray());
            await insert.ExecuteNonQueryAsync(ct);
        }
        if (admitted.Count == fresh.Count) return rejected;

        rejected.UnionWith(fresh.Skip(admitted.Count));
        var overflowEvents = values.Count(rejected.Contains);
        await using (var overflow = new NpgsqlCommand($"""
            INSERT INTO {OverflowTable} AS o (tenant_id, events, {OverflowColumn}, last_at) VALUES ($1, $2, $3, now())
            ON CONFLICT (tenant_id) DO UPDATE SET events = o.events + excluded.events, {OverflowColumn} = o.{OverflowColumn} + excluded.{OverflowColumn}, last_at = now()
            """, connection, transaction))
        {
            overflow.Parameters.AddWithValue(tenantId);
            overflow.Parameters.AddWithValue((long)overflowEvents);
            overflow.Parameters.AddWithValue((long)rejected.Count);
            await overflow.ExecuteNonQueryAsync(ct);
        }
        return rejected;
    }

    /// <summary>How many distinct values the tenant has, and how many events and values went to <see cref="Other"/>.</summary>
    public async Task<(long Distinct, long OverflowEvents, long OverflowValues)> UsageAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand($"""
            SELECT (SELECT count(*) FROM {Table} WHERE tenant_id = $1),
                   coalesce((SELECT events FROM {OverflowTable} WHERE tenant_id = $1), 0),
                   coalesce((SELECT {OverflowColumn} FROM {OverflowTable} WHERE tenant_id = $1), 0)
            """, connection, transaction);
        command.Parameters.AddWithValue(tenantId);
        await using var reader = await command.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        return (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2));
    }
}
