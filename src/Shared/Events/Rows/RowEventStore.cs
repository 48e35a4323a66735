using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Npgsql;
using NpgsqlTypes;

namespace PulseStream.Events.Rows;

/// <summary>How the rows layout loads a batch (measured side by side in the store benchmark).</summary>
public enum RowLoad
{
    /// <summary>One INSERT over arrays, one array per column.</summary>
    Unnest,
    /// <summary>Binary COPY into a temporary table, then one INSERT … SELECT (COPY is refused on tables with row-level security).</summary>
    CopyThroughTemporaryTable,
}

/// <summary>
/// One row per event in <c>events</c>, range-partitioned by day on the event time. Day partitions are created on
/// demand, each in its own short transaction, before the batch's transaction writes to them. Every row has a unique
/// <c>id</c> from a sequence: the cursor's tie-breaker.
/// </summary>
public sealed class RowEventStore(Storage.Database database, RowLoad load = RowLoad.Unnest) : IEventStore
{
    private const string Columns = "tenant_id, ts, received_at, event_id, method, path, route, status_code, latency_ms, request_bytes, response_bytes, consumer_id, environment, attributes";
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
        if (load == RowLoad.CopyThroughTemporaryTable) await CopyAsync(connection, transaction, events, ct);
        else await InsertUnnestAsync(connection, transaction, events, ct);
    }

    private static async Task InsertUnnestAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<(Guid TenantId, DateTimeOffset ReceivedAt, ApiEvent Event)> events, CancellationToken ct)
    {
        await using var insert = new NpgsqlCommand($"""
            INSERT INTO events ({Columns})
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
            Value = events.Select(e => Attributes(e.Event)).ToArray(),
            NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Jsonb,
        });
        await insert.ExecuteNonQueryAsync(ct);
    }

    private static async Task CopyAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<(Guid TenantId, DateTimeOffset ReceivedAt, ApiEvent Event)> events, CancellationToken ct)
    {
        // The temporary table lives until the commit (a pooled connection is reset when returned, dropping it anyway);
        // a rolled-back savepoint takes it and its rows along, and IF NOT EXISTS makes it again.
        await using (var create = new NpgsqlCommand("""
            CREATE TEMPORARY TABLE IF NOT EXISTS events_load (
                tenant_id uuid, ts timestamptz, received_at timestamptz, event_id text, method text, path text, route text,
                status_code smallint, latency_ms float8, request_bytes bigint, response_bytes bigint, consumer_id text,
                environment text, attributes jsonb) ON COMMIT DROP
            """, connection, transaction))
        {
            await create.ExecuteNonQueryAsync(ct);
        }
        await using (var copy = await connection.BeginBinaryImportAsync($"COPY events_load ({Columns}) FROM STDIN (FORMAT BINARY)", ct))
        {
            foreach (var (tenantId, receivedAt, e) in events)
            {
                await copy.StartRowAsync(ct);
                await copy.WriteAsync(tenantId, NpgsqlDbType.Uuid, ct);
                await copy.WriteAsync(e.Timestamp.UtcDateTime, NpgsqlDbType.TimestampTz, ct);
                await copy.WriteAsync(receivedAt.UtcDateTime, NpgsqlDbType.TimestampTz, ct);
                await WriteNullableAsync(copy, e.EventId, NpgsqlDbType.Text, ct);
                await copy.WriteAsync(e.Method, NpgsqlDbType.Text, ct);
                await copy.WriteAsync(e.Path, NpgsqlDbType.Text, ct);
                await copy.WriteAsync(e.Route, NpgsqlDbType.Text, ct);
                await copy.WriteAsync((short)e.StatusCode, NpgsqlDbType.Smallint, ct);
                await copy.WriteAsync(e.LatencyMs, NpgsqlDbType.Double, ct);
                await WriteNullableAsync(copy, e.RequestBytes, NpgsqlDbType.Bigint, ct);
                await WriteNullableAsync(copy, e.ResponseBytes, NpgsqlDbType.Bigint, ct);
                await WriteNullableAsync(copy, e.ConsumerId, NpgsqlDbType.Text, ct);
                await copy.WriteAsync(e.Environment, NpgsqlDbType.Text, ct);
                await WriteNullableAsync(copy, Attributes(e), NpgsqlDbType.Jsonb, ct);
            }
            await copy.CompleteAsync(ct);
        }
        // Moving the rows out empties the temporary table for the next tenant of the same transaction.
        await using var move = new NpgsqlCommand($"""
            WITH moved AS (DELETE FROM events_load RETURNING {Columns})
            INSERT INTO events ({Columns}) SELECT {Columns} FROM moved
            """, connection, transaction);
        await move.ExecuteNonQueryAsync(ct);
    }

    private static async Task WriteNullableAsync(NpgsqlBinaryImporter copy, string? value, NpgsqlDbType type, CancellationToken ct)
    {
        if (value is null) await copy.WriteNullAsync(ct);
        else await copy.WriteAsync(value, type, ct);
    }

    private static async Task WriteNullableAsync<T>(NpgsqlBinaryImporter copy, T? value, NpgsqlDbType type, CancellationToken ct) where T : struct
    {
        if (value is { } v) await copy.WriteAsync(v, type, ct);
        else await copy.WriteNullAsync(ct);
    }

    private static string? Attributes(ApiEvent e) => e.Attributes is { Count: > 0 } a ? JsonSerializer.Serialize(a) : null;

    private static NpgsqlParameter TextArray(IEnumerable<string?> values) =>
        new() { Value = values.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text };

    public Task<EventPage> QueryAsync(Guid tenantId, EventQuery query, CancellationToken ct) =>
        database.ForTenantAsync(tenantId, (connection, transaction) => QueryAsync(connection, transaction, tenantId, query, ct), ct);

    public async Task ScanAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, EventQuery filter, Action<ApiEvent> visit, CancellationToken ct)
    {
        var page = await QueryAsync(connection, transaction, tenantId, filter with { Cursor = null, Limit = int.MaxValue - 1 }, ct);
        foreach (var stored in page.Items) visit(stored.Event);
    }

    private static async Task<EventPage> QueryAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, EventQuery query, CancellationToken ct)
    {
        // Only the filters given become conditions, so the planner picks the index each shape needs (route, consumer, time).
        var sql = new StringBuilder("""
            SELECT id, event_id, ts, method, path, route, status_code, latency_ms, request_bytes, response_bytes,
                   consumer_id, environment, attributes::text, received_at
            FROM events WHERE tenant_id = $1
            """);
        var parameters = new List<NpgsqlParameter> { new() { Value = tenantId, NpgsqlDbType = NpgsqlDbType.Uuid } };
        void Condition(string condition, object value, NpgsqlDbType type)
        {
            parameters.Add(new NpgsqlParameter { Value = value, NpgsqlDbType = type });
            sql.Append(" AND ").Append(condition.Replace("$?", "$" + parameters.Count, StringComparison.Ordinal));
        }
        if (query.From is { } from) Condition("ts >= $?", from.UtcDateTime, NpgsqlDbType.TimestampTz);
        if (query.To is { } to) Condition("ts < $?", to.UtcDateTime, NpgsqlDbType.TimestampTz);
        if (query.Route is { } route) Condition("route = $?", route, NpgsqlDbType.Text);
        if (query.Method is { } method) Condition("method = $?", method, NpgsqlDbType.Text);
        if (query.StatusCode is { } code) Condition("status_code = $?", code, NpgsqlDbType.Integer);
        if (query.StatusClass is { } statusClass) Condition("status_code / 100 = $?", statusClass, NpgsqlDbType.Integer);
        if (query.ConsumerId is { } consumer) Condition("consumer_id = $?", consumer, NpgsqlDbType.Text);
        if (query.Environment is { } environment) Condition("environment = $?", environment, NpgsqlDbType.Text);
        if (query.MinLatencyMs is { } minLatency) Condition("latency_ms >= $?", minLatency, NpgsqlDbType.Double);
        if (query.Cursor is { } cursor)
        {
            parameters.Add(new NpgsqlParameter { Value = cursor.Timestamp.UtcDateTime, NpgsqlDbType = NpgsqlDbType.TimestampTz });
            parameters.Add(new NpgsqlParameter { Value = cursor.Id, NpgsqlDbType = NpgsqlDbType.Bigint });
            sql.Append(System.Globalization.CultureInfo.InvariantCulture, $" AND (ts, id) < (${parameters.Count - 1}, ${parameters.Count})");
        }
        sql.Append(System.Globalization.CultureInfo.InvariantCulture, $" ORDER BY ts DESC, id DESC LIMIT {query.Limit + 1}");

        await using var command = new NpgsqlCommand(sql.ToString(), connection, transaction);
        command.Parameters.AddRange(parameters.ToArray());
        var events = new List<StoredEvent>();
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                var attributes = reader.IsDBNull(12) ? null : JsonSerializer.Deserialize<Dictionary<string, string>>(reader.GetString(12));
                events.Add(new StoredEvent(reader.GetInt64(0), new ApiEvent(
                    reader.IsDBNull(1) ? null : reader.GetString(1), reader.GetFieldValue<DateTimeOffset>(2), reader.GetString(3),
                    reader.GetString(4), reader.GetString(5), reader.GetInt16(6), reader.GetDouble(7),
                    reader.IsDBNull(8) ? null : reader.GetInt64(8), reader.IsDBNull(9) ? null : reader.GetInt64(9),
                    reader.IsDBNull(10) ? null : reader.GetString(10), reader.GetString(11), attributes), reader.GetFieldValue<DateTimeOffset>(13)));
            }
        }
        if (events.Count <= query.Limit) return new EventPage(events, null);
        events.RemoveAt(events.Count - 1);
        return new EventPage(events, EventCursor.After(events[^1]));
    }
}
