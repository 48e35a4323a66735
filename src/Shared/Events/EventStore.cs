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
/// Rows in a table range-partitioned by day, written with binary COPY. Day partitions are created on demand,
/// each in its own short transaction, before the batch's transaction writes to them.
/// </summary>
public sealed class PartitionedEventStore(NpgsqlDataSource dataSource) : IEventStore
{
    private readonly ConcurrentDictionary<DateOnly, bool> _knownDays = new();

    public async Task EnsureDayPartitionsAsync(IEnumerable<DateOnly> days, CancellationToken ct)
    {
        foreach (var day in days.Distinct())
        {
            if (_knownDays.ContainsKey(day)) continue;
            var name = $"events_{day:yyyyMMdd}";
            var sql = $"CREATE TABLE IF NOT EXISTS {name} PARTITION OF events FOR VALUES FROM ('{day:yyyy-MM-dd}') TO ('{day.AddDays(1):yyyy-MM-dd}')";
            try
            {
                await using var command = dataSource.CreateCommand(sql);
                await command.ExecuteNonQueryAsync(ct);
            }
            catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.DuplicateTable or PostgresErrorCodes.UniqueViolation)
            {
                // Another consumer created it between our check and our create.
            }
            _knownDays[day] = true;
        }
    }

    public async Task AppendAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<(Guid TenantId, DateTimeOffset ReceivedAt, ApiEvent Event)> events, CancellationToken ct)
    {
        if (events.Count == 0) return;
        await EnsureDayPartitionsAsync(events.Select(e => DateOnly.FromDateTime(e.Event.Timestamp.UtcDateTime)), ct);
        await using var import = await connection.BeginBinaryImportAsync("""
            COPY events (tenant_id, ts, received_at, event_id, method, path, route, status_code, latency_ms,
                         request_bytes, response_bytes, consumer_id, environment, attributes) FROM STDIN (FORMAT BINARY)
            """, ct);
        foreach (var (tenantId, receivedAt, e) in events)
        {
            await import.StartRowAsync(ct);
            await import.WriteAsync(tenantId, NpgsqlDbType.Uuid, ct);
            await import.WriteAsync(e.Timestamp.UtcDateTime, NpgsqlDbType.TimestampTz, ct);
            await import.WriteAsync(receivedAt.UtcDateTime, NpgsqlDbType.TimestampTz, ct);
            await WriteNullable(import, e.EventId, NpgsqlDbType.Text, ct);
            await import.WriteAsync(e.Method, NpgsqlDbType.Text, ct);
            await import.WriteAsync(e.Path, NpgsqlDbType.Text, ct);
            await import.WriteAsync(e.Route, NpgsqlDbType.Text, ct);
            await import.WriteAsync((short)e.StatusCode, NpgsqlDbType.Smallint, ct);
            await import.WriteAsync(e.LatencyMs, NpgsqlDbType.Double, ct);
            await WriteNullable(import, e.RequestBytes, NpgsqlDbType.Bigint, ct);
            await WriteNullable(import, e.ResponseBytes, NpgsqlDbType.Bigint, ct);
            await WriteNullable(import, e.ConsumerId, NpgsqlDbType.Text, ct);
            await import.WriteAsync(e.Environment, NpgsqlDbType.Text, ct);
            await WriteNullable(import, e.Attributes is { Count: > 0 } a ? JsonSerializer.Serialize(a) : null, NpgsqlDbType.Jsonb, ct);
        }
        await import.CompleteAsync(ct);
    }

    private static Task WriteNullable<T>(NpgsqlBinaryImporter import, T? value, NpgsqlDbType type, CancellationToken ct) where T : class =>
        value is null ? import.WriteNullAsync(ct) : import.WriteAsync(value, type, ct);

    private static Task WriteNullable<T>(NpgsqlBinaryImporter import, T? value, NpgsqlDbType type, CancellationToken ct) where T : struct =>
        value is { } v ? import.WriteAsync(v, type, ct) : import.WriteNullAsync(ct);

    public async Task<List<StoredEvent>> QueryAsync(Guid tenantId, EventQuery query, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand("""
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
            """);
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
