using System.Collections.Concurrent;
using System.Text;
using Npgsql;
using NpgsqlTypes;

namespace PulseStream.Events.Segments;

/// <summary>
/// Raw events as compressed segments (<c>event_segments</c>): one row per tenant and hour of event time within an
/// appended batch (a late event lands in a small segment of its own hour), the events column-encoded by
/// <see cref="SegmentCodec"/>, beside the metadata that lets a filtered read skip a segment without opening it (time
/// range, the distinct routes, consumers and environments, status classes and methods as bitmasks, the largest
/// latency). An event's id is its segment's id and its ordinal in the segment (<see cref="EventId"/>).
/// </summary>
public sealed class SegmentEventStore(Storage.Database database) : IEventStore
{
    /// <summary>Ordinals take the low 20 bits of an event id; a bigger group is split into several segments.</summary>
    public const int OrdinalBits = 20;
    public const int MaxEventsPerSegment = 1 << OrdinalBits;

    private readonly ConcurrentDictionary<DateOnly, bool> _knownDays = new();

    public static long EventId(long segmentId, int ordinal) => (segmentId << OrdinalBits) | (uint)ordinal;

    public async Task AppendAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<(Guid TenantId, DateTimeOffset ReceivedAt, ApiEvent Event)> events, CancellationToken ct)
    {
        if (events.Count == 0) return;
        var segments = new List<(Guid TenantId, List<(DateTimeOffset ReceivedAt, ApiEvent Event)> Events)>();
        foreach (var group in events.GroupBy(e => (e.TenantId, Hour: EventCursor.ToMicros(e.Event.Timestamp) / 3_600_000_000L)))
        {
            var sorted = SegmentCodec.SortForSegment(group.Select(e => (e.ReceivedAt, e.Event)));
            foreach (var chunk in sorted.Chunk(MaxEventsPerSegment)) segments.Add((group.Key.TenantId, chunk.ToList()));
        }
        foreach (var (_, segment) in segments) foreach (var (_, e) in segment) RefuseWhatRowsRefuse(e);
        await EnsureDayPartitionsAsync(segments.Select(s => DateOnly.FromDateTime(s.Events[0].Event.Timestamp.UtcDateTime)), ct);

        await using var batch = new NpgsqlBatch(connection, transaction);
        foreach (var (tenantId, segment) in segments)
        {
            var command = new NpgsqlBatchCommand("""
                INSERT INTO event_segments (tenant_id, min_ts, max_ts, event_count, status_classes, methods, max_latency_ms,
                                            routes, consumers, environments, body)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
                """);
            var maxLatency = 0.0;
            int statusClasses = 0, methods = 0;
            foreach (var (_, e) in segment)
            {
                if (e.LatencyMs > maxLatency) maxLatency = e.LatencyMs;
                statusClasses |= SegmentBits.StatusClass(e.StatusCode);
                methods |= SegmentBits.Method(e.Method);
            }
            command.Parameters.Add(new NpgsqlParameter { Value = tenantId, NpgsqlDbType = NpgsqlDbType.Uuid });
            command.Parameters.Add(new NpgsqlParameter { Value = segment[0].Event.Timestamp.UtcDateTime, NpgsqlDbType = NpgsqlDbType.TimestampTz });
            command.Parameters.Add(new NpgsqlParameter { Value = segment[^1].Event.Timestamp.UtcDateTime, NpgsqlDbType = NpgsqlDbType.TimestampTz });
            command.Parameters.Add(new NpgsqlParameter { Value = segment.Count, NpgsqlDbType = NpgsqlDbType.Integer });
            command.Parameters.Add(new NpgsqlParameter { Value = (short)statusClasses, NpgsqlDbType = NpgsqlDbType.Smallint });
            command.Parameters.Add(new NpgsqlParameter { Value = (short)methods, NpgsqlDbType = NpgsqlDbType.Smallint });
            command.Parameters.Add(new NpgsqlParameter { Value = maxLatency, NpgsqlDbType = NpgsqlDbType.Double });
            command.Parameters.Add(TextArray(segment.Select(e => e.Event.Route)));
            command.Parameters.Add(TextArray(segment.Where(e => e.Event.ConsumerId is not null).Select(e => e.Event.ConsumerId!)));
            command.Parameters.Add(TextArray(segment.Select(e => e.Event.Environment)));
            command.Parameters.Add(new NpgsqlParameter { Value = SegmentCodec.Encode(segment), NpgsqlDbType = NpgsqlDbType.Bytea });
            batch.BatchCommands.Add(command);
        }
        await batch.ExecuteNonQueryAsync(ct);
    }

    public async Task EnsureDayPartitionsAsync(IEnumerable<DateOnly> days, CancellationToken ct)
    {
        foreach (var day in days.Distinct())
        {
            if (_knownDays.ContainsKey(day)) continue;
            // The app role cannot create tables: a SECURITY DEFINER function makes the partition with its policy.
            await using var command = database.DataSource.CreateCommand("SELECT ensure_segment_partition($1)");
            command.Parameters.AddWithValue(day);
            await command.ExecuteNonQueryAsync(ct);
            _knownDays[day] = true;
        }
    }

    public Task<EventPage> QueryAsync(Guid tenantId, EventQuery query, CancellationToken ct) =>
        database.ForTenantAsync(tenantId, (connection, transaction) => QueryAsync(connection, transaction, tenantId, query, ct), ct);

    /// <summary>
    /// Walks the segments that may hold a match, newest first by their latest event, and stops as soon as the page is
    /// certainly complete: once a page and one more (which says whether there is a next page) are kept, a segment
    /// whose latest event is older than the last of them cannot contribute.
    /// </summary>
    private static async Task<EventPage> QueryAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, EventQuery query, CancellationToken ct)
    {
        var wanted = query.Limit + 1;
        var kept = new List<StoredEvent>(wanted + 64);
        (DateTime MaxTs, long Id)? after = null;
        var chunk = 4;
        while (true)
        {
            var (sql, parameters) = SegmentSql(tenantId, query, after, chunk);
            await using var command = new NpgsqlCommand(sql, connection, transaction);
            command.Parameters.AddRange(parameters);
            var rows = 0;
            var complete = false;
            await using (var reader = await command.ExecuteReaderAsync(ct))
            {
                while (await reader.ReadAsync(ct))
                {
                    rows++;
                    var segmentId = reader.GetInt64(0);
                    var maxTs = reader.GetFieldValue<DateTime>(1);
                    after = (maxTs, segmentId);
                    if (kept.Count >= wanted && EventCursor.ToMicros(maxTs) < EventCursor.ToMicros(kept[wanted - 1].Event.Timestamp))
                    {
                        complete = true;
                        break;
                    }
                    var events = SegmentCodec.Decode(reader.GetFieldValue<byte[]>(2));
                    for (var ordinal = 0; ordinal < events.Count; ordinal++)
                    {
                        var id = EventId(segmentId, ordinal);
                        if (query.Matches(id, events[ordinal].Event)) kept.Add(new StoredEvent(id, events[ordinal].Event, events[ordinal].ReceivedAt));
                    }
                    if (kept.Count >= wanted)
                    {
                        kept.Sort(NewestFirst);
                        kept.RemoveRange(wanted, kept.Count - wanted);
                    }
                }
            }
            if (complete || rows < chunk) break;
            chunk = Math.Min(chunk * 4, 256);
        }
        kept.Sort(NewestFirst);
        if (kept.Count <= query.Limit) return new EventPage(kept, null);
        kept.RemoveRange(query.Limit, kept.Count - query.Limit);
        return new EventPage(kept, EventCursor.After(kept[^1]));
    }

    public async Task ScanAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, EventQuery filter, Action<ApiEvent> visit, CancellationToken ct)
    {
        var query = filter with { Cursor = null };
        (DateTime MaxTs, long Id)? after = null;
        const int Chunk = 64;
        while (true)
        {
            var (sql, parameters) = SegmentSql(tenantId, query, after, Chunk);
            await using var command = new NpgsqlCommand(sql, connection, transaction);
            command.Parameters.AddRange(parameters);
            var rows = 0;
            await using (var reader = await command.ExecuteReaderAsync(ct))
            {
                while (await reader.ReadAsync(ct))
                {
                    rows++;
                    var segmentId = reader.GetInt64(0);
                    after = (reader.GetFieldValue<DateTime>(1), segmentId);
                    var events = SegmentCodec.Decode(reader.GetFieldValue<byte[]>(2));
                    for (var ordinal = 0; ordinal < events.Count; ordinal++)
                        if (query.Matches(EventId(segmentId, ordinal), events[ordinal].Event)) visit(events[ordinal].Event);
                }
            }
            if (rows < Chunk) return;
        }
    }

    private static int NewestFirst(StoredEvent a, StoredEvent b)
    {
        var byTime = EventCursor.ToMicros(b.Event.Timestamp).CompareTo(EventCursor.ToMicros(a.Event.Timestamp));
        return byTime != 0 ? byTime : b.Id.CompareTo(a.Id);
    }

    /// <summary>Only the filters given become conditions, so each shape gets a plan of its own.</summary>
    private static (string Sql, NpgsqlParameter[] Parameters) SegmentSql(Guid tenantId, EventQuery query, (DateTime MaxTs, long Id)? after, int limit)
    {
        var sql = new StringBuilder("SELECT id, max_ts, body FROM event_segments WHERE tenant_id = $1");
        var parameters = new List<NpgsqlParameter> { new() { Value = tenantId, NpgsqlDbType = NpgsqlDbType.Uuid } };
        void Condition(string condition, object value, NpgsqlDbType type)
        {
            parameters.Add(new NpgsqlParameter { Value = value, NpgsqlDbType = type });
            sql.Append(" AND ").Append(condition.Replace("$?", "$" + parameters.Count, StringComparison.Ordinal));
        }
        if (query.From is { } from)
        {
            Condition("max_ts >= $?", from.UtcDateTime, NpgsqlDbType.TimestampTz);
            // Segments span at most an hour: this bound lets the planner skip older day partitions.
            Condition("min_ts > $?", from.UtcDateTime.AddHours(-1), NpgsqlDbType.TimestampTz);
        }
        // The newest event a page may hold: before To (exclusive), and no later than the cursor's.
        DateTimeOffset? upper = query.To;
        if (query.Cursor is { } cursor && (upper is null || cursor.Timestamp < upper)) upper = cursor.Timestamp.AddTicks(10); // one microsecond: Postgres's resolution
        if (upper is { } before) Condition("min_ts < $?", before.UtcDateTime, NpgsqlDbType.TimestampTz);
        if (query.Route is { } route) Condition("$? = ANY (routes)", route, NpgsqlDbType.Text);
        if (query.ConsumerId is { } consumer) Condition("$? = ANY (consumers)", consumer, NpgsqlDbType.Text);
        if (query.Environment is { } environment) Condition("$? = ANY (environments)", environment, NpgsqlDbType.Text);
        if (query.StatusCode is { } code) Condition("status_classes & $? <> 0", (short)SegmentBits.StatusClass(code), NpgsqlDbType.Smallint);
        if (query.StatusClass is { } statusClass) Condition("status_classes & $? <> 0", (short)SegmentBits.StatusClass(statusClass * 100), NpgsqlDbType.Smallint);
        if (query.Method is { } method) Condition("methods & $? <> 0", (short)SegmentBits.Method(method), NpgsqlDbType.Smallint);
        if (query.MinLatencyMs is { } minLatency) Condition("max_latency_ms >= $?", minLatency, NpgsqlDbType.Double);
        if (after is { } position)
        {
            parameters.Add(new NpgsqlParameter { Value = position.MaxTs, NpgsqlDbType = NpgsqlDbType.TimestampTz });
            parameters.Add(new NpgsqlParameter { Value = position.Id, NpgsqlDbType = NpgsqlDbType.Bigint });
            sql.Append(System.Globalization.CultureInfo.InvariantCulture, $" AND (max_ts, id) < (${parameters.Count - 1}, ${parameters.Count})");
        }
        sql.Append(System.Globalization.CultureInfo.InvariantCulture, $" ORDER BY max_ts DESC, id DESC LIMIT {limit}");
        return (sql.ToString(), parameters.ToArray());
    }

    /// <summary>
    /// U+0000 in a text value: the rows layout cannot store it (Postgres text and jsonb refuse it) and the edge never
    /// accepts it, so segments refuse it too (as a data failure the writer isolates), and the layouts hold the same events.
    /// </summary>
    private static void RefuseWhatRowsRefuse(ApiEvent e)
    {
        static void Check(string? text, string field)
        {
            if (text is not null && text.Contains('\0', StringComparison.Ordinal)) throw new ArgumentException($"U+0000 in {field} cannot be stored.");
        }
        Check(e.EventId, "eventId");
        Check(e.Method, "method");
        Check(e.Path, "path");
        Check(e.Route, "route");
        Check(e.ConsumerId, "consumerId");
        Check(e.Environment, "environment");
        if (e.Attributes is { } attributes)
        {
            foreach (var (key, value) in attributes)
            {
                Check(key, "attributes");
                Check(value, "attributes");
            }
        }
    }

    private static NpgsqlParameter TextArray(IEnumerable<string> values) =>
        new() { Value = values.Distinct(StringComparer.Ordinal).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text };
}

/// <summary>The bitmasks a segment keeps of its status classes and methods.</summary>
public static class SegmentBits
{
    private static readonly string[] Methods = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];

    /// <summary>Bit 1-5 for the classes 1xx-5xx, bit 0 for any other code.</summary>
    public static int StatusClass(int statusCode) => statusCode is >= 100 and < 600 ? 1 << (statusCode / 100) : 1;

    /// <summary>Bit 0-6 for the known methods, bit 14 for any other.</summary>
    public static int Method(string method) => Array.IndexOf(Methods, method) is var i and >= 0 ? 1 << i : 1 << 14;
}
