using Npgsql;
using NpgsqlTypes;
using PulseStream.Events;
using PulseStream.Storage;

namespace PulseStream.Operations;

/// <summary>
/// A message or events to dead-letter: the envelope (or, when it cannot be decoded, the message as consumed) with
/// what an operator needs to judge it without reading the bytes.
/// </summary>
public sealed record NewDeadLetter(string ConsumerGroup, string PartitionId, long SequenceNumber, byte[] Body, Guid? TenantId, int? EventCount,
    DateTimeOffset? FirstEventAt, string? FirstRoute, int Attempts, string Error)
{
    private const int MaxRouteLength = 2048;

    /// <summary>Some of one tenant's events, re-encoded as an envelope of their own so a replay stores exactly them.</summary>
    public static NewDeadLetter ForEvents(string consumerGroup, string partitionId, long sequenceNumber, Guid tenantId, DateTimeOffset receivedAt,
        IReadOnlyList<ApiEvent> events, int attempts, string error)
    {
        // No size limit: these events came in one message, so they fit one body.
        var body = EventEnvelopeCodec.Encode(new EventEnvelope(tenantId, receivedAt, events), int.MaxValue).Single();
        return new(consumerGroup, partitionId, sequenceNumber, body, tenantId, events.Count, events[0].Timestamp, Printable(events[0].Route), attempts, error);
    }

    /// <summary>A whole message as consumed; what it says about itself is kept when it decodes.</summary>
    public static NewDeadLetter ForMessage(string consumerGroup, string partitionId, long sequenceNumber, byte[] body, int attempts, string error)
    {
        EventEnvelope? envelope = null;
        try
        {
            envelope = EventEnvelopeCodec.Decode(body);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Undecodable: kept as it came, with no tenant.
        }
        var first = envelope?.Events.FirstOrDefault();
        return new(consumerGroup, partitionId, sequenceNumber, body, envelope?.TenantId, envelope?.Events.Count, first?.Timestamp,
            first is null ? null : Printable(first.Route), attempts, error);
    }

    /// <summary>A route as a text column takes it: without U+0000, at most the contract's path length.</summary>
    internal static string Printable(string value)
    {
        var text = value.Replace('\0', '\uFFFD');
        return text.Length <= MaxRouteLength ? text : text[..MaxRouteLength];
    }
}

/// <summary>A dead letter as an operator sees it: never its bytes.</summary>
public sealed record DeadLetterView(long Id, string State, Guid? TenantId, string ConsumerGroup, string PartitionId, long SequenceNumber, int? EventCount,
    int Bytes, int Attempts, string LastError, DateTimeOffset? FirstEventAt, string? FirstRoute, DateTimeOffset CreatedAt, DateTimeOffset LastAttemptAt,
    DateTimeOffset? ReplayedAt);

/// <summary>
/// The <c>dead_letters</c> table (migration 0005): what the Alerts consumer could not store, one row per undecodable
/// message or per event that failed on its own, state <c>dead</c> until a replay stores it (<c>replayed</c>). Not a
/// tenant table: only the operator routes read it.
/// </summary>
public sealed class DeadLetterStore(Database database)
{
    public static readonly string[] States = ["dead", "replayed"];

    /// <summary>Records dead letters in the caller's transaction (the consumer's, so they commit with its position).</summary>
    public static async Task InsertAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<NewDeadLetter> letters, CancellationToken ct)
    {
        if (letters.Count == 0) return;
        await using var insert = new NpgsqlCommand("""
            INSERT INTO dead_letters (consumer_group, partition_id, sequence_number, body, tenant_id, event_count, first_event_at, first_route,
                                      attempts, last_error)
            SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bytea[], $5::uuid[], $6::int[], $7::timestamptz[], $8::text[],
                                 $9::int[], $10::text[])
            """, connection, transaction);
        insert.Parameters.AddWithValue(letters.Select(l => l.ConsumerGroup).ToArray());
        insert.Parameters.AddWithValue(letters.Select(l => l.PartitionId).ToArray());
        insert.Parameters.AddWithValue(letters.Select(l => l.SequenceNumber).ToArray());
        insert.Parameters.AddWithValue(letters.Select(l => l.Body).ToArray());
        insert.Parameters.Add(new NpgsqlParameter { Value = letters.Select(l => l.TenantId).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Uuid });
        insert.Parameters.Add(new NpgsqlParameter { Value = letters.Select(l => l.EventCount).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Integer });
        insert.Parameters.Add(new NpgsqlParameter
        {
            Value = letters.Select(l => l.FirstEventAt?.UtcDateTime).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz,
        });
        insert.Parameters.Add(new NpgsqlParameter { Value = letters.Select(l => l.FirstRoute).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        insert.Parameters.AddWithValue(letters.Select(l => l.Attempts).ToArray());
        insert.Parameters.AddWithValue(letters.Select(l => l.Error).ToArray());
        await insert.ExecuteNonQueryAsync(ct);
    }

    /// <summary>A page, newest first: ids below <paramref name="beforeId"/>, in <paramref name="state"/> (null: any).</summary>
    public Task<List<DeadLetterView>> ListAsync(string? state, int limit, long? beforeId, CancellationToken ct) =>
        database.InTransactionAsync(async (connection, transaction) =>
        {
            await using var command = new NpgsqlCommand("""
                SELECT id, state, tenant_id, consumer_group, partition_id, sequence_number, event_count, octet_length(body), attempts, last_error,
                       first_event_at, first_route, created_at, last_attempt_at, replayed_at
                FROM dead_letters
                WHERE ($1::text IS NULL OR state = $1) AND ($2::bigint IS NULL OR id < $2)
                ORDER BY id DESC LIMIT $3
                """, connection, transaction);
            command.Parameters.Add(new NpgsqlParameter { Value = (object?)state ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
            command.Parameters.Add(new NpgsqlParameter { Value = (object?)beforeId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bigint });
            command.Parameters.AddWithValue(limit);
            var items = new List<DeadLetterView>();
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                items.Add(new DeadLetterView(reader.GetInt64(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetGuid(2), reader.GetString(3),
                    reader.GetString(4), reader.GetInt64(5), reader.IsDBNull(6) ? null : reader.GetInt32(6), reader.GetInt32(7), reader.GetInt32(8),
                    reader.GetString(9), reader.IsDBNull(10) ? null : reader.GetFieldValue<DateTimeOffset>(10), reader.IsDBNull(11) ? null : reader.GetString(11),
                    reader.GetFieldValue<DateTimeOffset>(12), reader.GetFieldValue<DateTimeOffset>(13),
                    reader.IsDBNull(14) ? null : reader.GetFieldValue<DateTimeOffset>(14)));
            }
            return items;
        }, ct);

    /// <summary>How many dead letters are in each state.</summary>
    public Task<Dictionary<string, long>> CountsAsync(CancellationToken ct) =>
        database.InTransactionAsync(async (connection, transaction) =>
        {
            var counts = States.ToDictionary(s => s, _ => 0L);
            await using var command = new NpgsqlCommand("SELECT state, count(*) FROM dead_letters GROUP BY state", connection, transaction);
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct)) counts[reader.GetString(0)] = reader.GetInt64(1);
            return counts;
        }, ct);
}
