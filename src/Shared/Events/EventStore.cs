using System.Collections.Concurrent;
using System.Text.Json;
using Npgsql;
using NpgsqlTypes;

namespace PulseStream.Events;

/// <summary>An event as stored, with the time PulseStream received it.</summary>
public sealed record StoredEvent(ApiEvent Event, DateTimeOffset ReceivedAt);

/// <summary>Filters for reading raw events, newest first.</summary>
public sealed record EventQuery(int Limit, string? Route = null, int? StatusCode = null, string? ConsumerId = null, DateTimeOffset? Before = null);

/// <summary>
/// Raw event storage (DESIGN.md §4.2): append a consumed batch inside the caller's transaction; read by tenant,
/// time and filters. Callers do not know the physical layout.
/// </summary>
public interface IEventStore
{
    Task AppendAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<(Guid TenantId, DateTimeOffset ReceivedAt, ApiEvent Event)> events, CancellationToken ct);
    Task<List<StoredEvent>> QueryAsync(Guid tenantId, EventQuery query, CancellationToken ct);
}

/// <summary>
/// Rows in a table range-partitioned by day, written with one INSERT over arrays. Day partitions are created on demand,
/// each in its own short transaction, before the batch's transaction writes to them.
/// </summary>
public sealed class PartitionedEventStore(Storage.Database database) : IEventStore
{
    private readonly ConcurrentDictionary<DateOnly, bool> _knownDays = new();

    public async Task EnsureDayPartitionsAsync(IEnumerable<DateOnly> days, CancellationToken ct)
    {
        foreach (var day in days.Distinct())
        {
            if (_knownDays.ContainsKey(day)) continue;
            // The app role cannot create tables: a SECURITY DEFINER function makes the partition with its policy.
            await using var command = database.DataSource.CreateCommand("SELECT ensure_event_partition($1)");
            command.Parameters.AddWithValue(day);
            await command.ExecuteNonQueryAsync(ct);
            _knownDays[day] = true;
        }
    }

    public async Task AppendAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<(Guid TenantId, DateTimeOffset ReceivedAt, ApiEvent Event)> events, CancellationToken ct)
    {
        if (events.Count == 0) return;
        await EnsureDayPartitionsAsync(events.Select(e => DateOnly.FromDateTime(e.Event.Timestamp.UtcDateTime)), ct);
        // One INSERT over arrays (binary COPY is refused on tables with row-level security).
        await using var insert = new NpgsqlCommand("""
            INSERT INTO events (tenant_id, ts, received_at, event_id, method, path, route, status_code, latency_ms,
                                request_bytes, response_bytes, consumer_id, environment, attributes)
            SELECT * FROM unnest($1::uuid[], $2::timestamptz[], $3::timestamptz[], $4::text[], $5::text[], $6::text[], $7::text[],
                                 $8::smallint[], $9::float8[], $10::bigint[], $11::bigint[], $12::text[], $13::text[], $14::jsonb[])
            """, connection, transaction);
        insert.Parameters.AddWithValue(events.Select(e => e.TenantId).ToArray());
        insert.Parameters.AddWithValue(events.Select(e => e.Event.Timestamp.UtcDateTime).ToArray());
        insert.Parameters.AddWithValue(events.Select(e => e.ReceivedAt.UtcDateTime).ToArray());
        insert.Parameters.Add(TextArray(events.Select(e => e.Event.EventId)));
        insert.Parameters.AddWithValue(events.Select(e => e.Event.Method).ToArray());
        insert.Parameters.AddWithValue(events.Select(e => e.Event.Path).ToArray());
        insert.Parameters.AddWithValue(events.Select(e => e.Event.Route).ToArray());
        insert.Parameters.AddWithValue(events.Select(e => (short)e.Event.StatusCode).ToArray());
        insert.Parameters.AddWithValue(events.Select(e => e.Event.LatencyMs).ToArray());
        insert.Parameters.AddWithValue(events.Select(e => e.Event.RequestBytes).ToArray());
        insert.Parameters.AddWithValue(events.Select(e => e.Event.ResponseBytes).ToArray());
        insert.Parameters.Add(TextArray(events.Select(e => e.Event.ConsumerId)));
        insert.Parameters.AddWithValue(events.Select(e => e.Event.Environment).ToArray());
        insert.Parameters.Add(new NpgsqlParameter
        {
            Value = events.Select(e => e.Event.Attributes is { Count: > 0 } a ? JsonSerializer.Serialize(a) : null).ToArray(),
            NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Jsonb,
        });
        await insert.ExecuteNonQueryAsync(ct);
    }

    private static NpgsqlParameter TextArray(IEnumerable<string?> values) =>
        new() { Value = values.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text };

    public Task<List<StoredEvent>> QueryAsync(Guid tenantId, EventQuery query, CancellationToken ct) =>
        database.ForTenantAsync(tenantId, (connection, transaction) => QueryAsync(connection, transaction, tenantId, query, ct), ct);

    private static async Task<List<StoredEvent>> QueryAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, EventQuery query, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("""
            SELECT event_id, ts, method, path, route, status_code, latency_ms, request_bytes, response_bytes,
                   consumer_id, environment, attributes::text, received_at
            FROM events
            WHERE tenant_id = $1
              AND ts > now() - interval '8 days'
              AND ($2::text IS NULL OR route = $2)
              AND ($3::int IS NULL OR status_code = $3)
              AND ($4::text IS NULL OR consumer_id = $4)
              AND ($5::timestamptz IS NULL OR ts < $5)
            ORDER BY ts DESC
            LIMIT $6
            """, connection, transaction);
        command.Parameters.AddWithValue(tenantId);
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)query.Route ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)query.StatusCode ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Integer });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)query.ConsumerId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)query.Before ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        command.Parameters.AddWithValue(query.Limit);
        var events = new List<StoredEvent>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var attributes = reader.IsDBNull(11) ? null : JsonSerializer.Deserialize<Dictionary<string, string>>(reader.GetString(11));
            events.Add(new StoredEvent(new ApiEvent(
                reader.IsDBNull(0) ? null : reader.GetString(0), reader.GetFieldValue<DateTimeOffset>(1), reader.GetString(2),
                reader.GetString(3), reader.GetString(4), reader.GetInt16(5), reader.GetDouble(6),
                reader.IsDBNull(7) ? null : reader.GetInt64(7), reader.IsDBNull(8) ? null : reader.GetInt64(8),
                reader.IsDBNull(9) ? null : reader.GetString(9), reader.GetString(10), attributes), reader.GetFieldValue<DateTimeOffset>(12)));
        }
        return events;
    }
}
