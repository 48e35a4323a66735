using Npgsql;
using NpgsqlTypes;
using PulseStream.Events;

namespace PulseStream.Metrics;

/// <summary>
/// Reads that no rollup set answers (a route or method together with a consumer, or 10-second steps with a filter)
/// are computed from raw events: each event in [from, to) that matches the filter is added to its group's (and
/// point's) cell, the same shape <see cref="RollupReader"/> answers. Bounded by the raw events' retention and the
/// query budget.
/// </summary>
public sealed class RawEventRollup
{
    private static readonly string[] Columns = ["route", "method", "consumer_id", "environment"];

    public async Task<List<RollupGroup>> ReadAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, RollupRead read, CancellationToken ct)
    {
        if (read.GroupBy.Any(c => !Columns.Contains(c))) throw new ArgumentException("A group column is not an event dimension.", nameof(read));
        await using var command = new NpgsqlCommand("""
            SELECT ts, status_code, latency_ms, request_bytes, response_bytes, route, method, coalesce(consumer_id, ''), environment
            FROM events WHERE tenant_id = $1 AND ts >= $2 AND ts < $3
              AND ($4::text IS NULL OR route = $4) AND ($5::text IS NULL OR method = $5)
              AND ($6::text IS NULL OR consumer_id = $6) AND ($7::text IS NULL OR environment = $7)
            """, connection, transaction);
        command.Parameters.AddWithValue(tenantId);
        command.Parameters.AddWithValue(read.From);
        command.Parameters.AddWithValue(read.To);
        foreach (var value in new[] { read.Filter.Route, read.Filter.Method, read.Filter.ConsumerId, read.Filter.Environment })
            command.Parameters.Add(new NpgsqlParameter { Value = (object?)value ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        var positions = read.GroupBy.Select(c => Array.IndexOf(Columns, c) + 5).ToArray();
        var cells = new Dictionary<(string Key, DateTimeOffset? Point), (string[] Key, RollupCell Cell)>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var ts = reader.GetFieldValue<DateTimeOffset>(0);
            DateTimeOffset? point = read.Step is { } step ? Durations.Floor(ts, step) : null;
            if (point < read.From) point = read.From;
            var key = positions.Select(reader.GetString).ToArray();
            var id = (string.Join('\0', key), point);
            if (!cells.TryGetValue(id, out var entry)) cells[id] = entry = (key, new RollupCell());
            entry.Cell.Add(new ApiEvent(null, ts, "GET", "/", "/", reader.GetInt16(1), reader.GetDouble(2),
                reader.IsDBNull(3) ? null : reader.GetInt64(3), reader.IsDBNull(4) ? null : reader.GetInt64(4), null, "", null));
        }
        return cells.Select(c => new RollupGroup(c.Value.Key, c.Key.Point, c.Value.Cell)).ToList();
    }
}
