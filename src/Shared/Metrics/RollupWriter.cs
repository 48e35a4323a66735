using Npgsql;
using PulseStream.Events;

namespace PulseStream.Metrics;

/// <summary>The dimensions of a per-minute rollup row.</summary>
public readonly record struct RollupKey(Guid TenantId, DateTimeOffset Bucket, string Route, string Method, short StatusClass, string ConsumerId, string Environment);

/// <summary>
/// Counters and a latency histogram for one rollup key. Counts are checked (a wrap would be a wrong number, so it
/// fails instead); byte sums saturate at <see cref="long.MaxValue"/>, as the upsert does: each event adds at most
/// 2^40 (<see cref="EventRules.MaxByteCount"/>), so a sum reaches 2^63 − 1 only after more than 2^23 maximal events
/// in one cell, which a tenant could aim at one past minute; such a cell shows the bound instead of wrapping.
/// </summary>
public sealed class RollupCell
{
    public long RequestCount;
    public double LatencySum;
    public double LatencyMax;
    public long RequestBytes;
    public long ResponseBytes;
    public readonly LatencyHistogram Histogram = new();

    public void Add(ApiEvent e)
    {
        RequestCount = checked(RequestCount + 1);
        LatencySum += e.LatencyMs;
        LatencyMax = Math.Max(LatencyMax, e.LatencyMs);
        RequestBytes = Saturating.Add(RequestBytes, e.RequestBytes ?? 0);
        ResponseBytes = Saturating.Add(ResponseBytes, e.ResponseBytes ?? 0);
        Histogram.Add(e.LatencyMs);
    }
}

/// <summary>
/// Maintains per-minute rollups from consumed events (DESIGN.md §4.2): aggregates a batch in memory, then applies
/// one upsert per key that adds counts and merges histograms, in the caller's transaction. Byte sums saturate at
/// bigint's maximum (<c>saturating_add</c>): the edge bounds each event's byte counts, this is the backstop.
/// </summary>
public static class RollupWriter
{
    public static Dictionary<RollupKey, RollupCell> Aggregate(IEnumerable<(Guid TenantId, ApiEvent Event)> events)
    {
        var cells = new Dictionary<RollupKey, RollupCell>();
        foreach (var (tenantId, e) in events)
        {
            var ts = e.Timestamp.ToUniversalTime();
            var minute = new DateTimeOffset(ts.Year, ts.Month, ts.Day, ts.Hour, ts.Minute, 0, TimeSpan.Zero);
            var key = new RollupKey(tenantId, minute, e.Route, e.Method, (short)e.StatusClass, e.ConsumerId ?? "", e.Environment);
            if (!cells.TryGetValue(key, out var cell)) cells[key] = cell = new RollupCell();
            cell.Add(e);
        }
        return cells;
    }

    public static async Task ApplyAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Dictionary<RollupKey, RollupCell> cells, CancellationToken ct)
    {
        if (cells.Count == 0) return;
        var keys = cells.Keys.ToArray();
        await using var command = new NpgsqlCommand("""
            INSERT INTO rollups_minute AS r (tenant_id, bucket, route, method, status_class, consumer_id, environment,
                request_count, latency_sum, latency_max, request_bytes, response_bytes, histogram)
            SELECT * FROM unnest($1::uuid[], $2::timestamptz[], $3::text[], $4::text[], $5::smallint[], $6::text[], $7::text[],
                $8::bigint[], $9::float8[], $10::float8[], $11::bigint[], $12::bigint[], $13::jsonb[])
            ON CONFLICT (tenant_id, bucket, route, method, status_class, consumer_id, environment) DO UPDATE SET
                request_count = r.request_count + excluded.request_count,
                latency_sum = r.latency_sum + excluded.latency_sum,
                latency_max = greatest(r.latency_max, excluded.latency_max),
                request_bytes = saturating_add(r.request_bytes, excluded.request_bytes),
                response_bytes = saturating_add(r.response_bytes, excluded.response_bytes),
                histogram = histogram_merge(r.histogram, excluded.histogram)
            """, connection, transaction);
        command.Parameters.AddWithValue(keys.Select(k => k.TenantId).ToArray());
        command.Parameters.AddWithValue(keys.Select(k => k.Bucket.UtcDateTime).ToArray());
        command.Parameters.AddWithValue(keys.Select(k => k.Route).ToArray());
        command.Parameters.AddWithValue(keys.Select(k => k.Method).ToArray());
        command.Parameters.AddWithValue(keys.Select(k => k.StatusClass).ToArray());
        command.Parameters.AddWithValue(keys.Select(k => k.ConsumerId).ToArray());
        command.Parameters.AddWithValue(keys.Select(k => k.Environment).ToArray());
        command.Parameters.AddWithValue(keys.Select(k => cells[k].RequestCount).ToArray());
        command.Parameters.AddWithValue(keys.Select(k => cells[k].LatencySum).ToArray());
        command.Parameters.AddWithValue(keys.Select(k => cells[k].LatencyMax).ToArray());
        command.Parameters.AddWithValue(keys.Select(k => cells[k].RequestBytes).ToArray());
        command.Parameters.AddWithValue(keys.Select(k => cells[k].ResponseBytes).ToArray());
        command.Parameters.Add(new NpgsqlParameter { Value = keys.Select(k => cells[k].Histogram.ToJson()).ToArray(), NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Jsonb });
        await command.ExecuteNonQueryAsync(ct);
    }
}
