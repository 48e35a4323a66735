using Npgsql;
using PulseStream.Events;

namespace PulseStream.Metrics;

/// <summary>
/// Bounds each tenant's distinct routes (default 2,000): a batch's new routes are admitted, most frequent first,
/// while the tenant is under its limit; events on any other new route are recorded as <see cref="OtherRoute"/>,
/// counted in <c>route_overflow</c> so the tenant sees that it happened. Runs in the consumer's transaction with
/// the tenant set; a tenant's events arrive on one partition, so one consumer admits its routes at a time.
/// </summary>
public static class RouteCardinality
{
    public const string OtherRoute = "/{other}";

    public static async Task<List<(Guid TenantId, DateTimeOffset ReceivedAt, ApiEvent Event)>> ApplyAsync(NpgsqlConnection connection, NpgsqlTransaction transaction,
        Guid tenantId, List<(Guid TenantId, DateTimeOffset ReceivedAt, ApiEvent Event)> rows, int limit, CancellationToken ct)
    {
        if (rows.Count == 0) return rows;
        var byFrequency = rows.GroupBy(r => r.Event.Route).OrderByDescending(g => g.Count()).Select(g => g.Key).ToArray();

        var known = new HashSet<string>(StringComparer.Ordinal);
        long count;
        await using (var select = new NpgsqlCommand("""
            SELECT route FROM tenant_routes WHERE tenant_id = $1 AND route = ANY($2)
            """, connection, transaction))
        {
            select.Parameters.AddWithValue(tenantId);
            select.Parameters.AddWithValue(byFrequency);
            await using var reader = await select.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct)) known.Add(reader.GetString(0));
        }
        var fresh = byFrequency.Where(r => !known.Contains(r)).ToList();
        if (fresh.Count == 0) return rows;

        await using (var countCommand = new NpgsqlCommand("SELECT count(*) FROM tenant_routes WHERE tenant_id = $1", connection, transaction))
        {
            countCommand.Parameters.AddWithValue(tenantId);
            count = (long)(await countCommand.ExecuteScalarAsync(ct))!;
        }
        var admitted = fresh.Take((int)Math.Max(0, limit - count)).ToList();
        if (admitted.Count > 0)
        {
            await using var insert = new NpgsqlCommand(
                "INSERT INTO tenant_routes (tenant_id, route) SELECT $1, unnest($2::text[]) ON CONFLICT DO NOTHING", connection, transaction);
            insert.Parameters.AddWithValue(tenantId);
            insert.Parameters.AddWithValue(admitted.ToArray());
            await insert.ExecuteNonQueryAsync(ct);
            known.UnionWith(admitted);
        }
        if (admitted.Count == fresh.Count) return rows;

        var rejected = fresh.Skip(admitted.Count).ToHashSet(StringComparer.Ordinal);
        var overflowEvents = rows.Count(r => rejected.Contains(r.Event.Route));
        await using (var overflow = new NpgsqlCommand("""
            INSERT INTO route_overflow AS o (tenant_id, events, routes, last_at) VALUES ($1, $2, $3, now())
            ON CONFLICT (tenant_id) DO UPDATE SET events = o.events + excluded.events, routes = o.routes + excluded.routes, last_at = now()
            """, connection, transaction))
        {
            overflow.Parameters.AddWithValue(tenantId);
            overflow.Parameters.AddWithValue((long)overflowEvents);
            overflow.Parameters.AddWithValue((long)rejected.Count);
            await overflow.ExecuteNonQueryAsync(ct);
        }
        return rows.Select(r => rejected.Contains(r.Event.Route) ? r with { Event = r.Event with { Route = OtherRoute } } : r).ToList();
    }
}
