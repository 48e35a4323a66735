using Microsoft.Extensions.Logging;
using Npgsql;
using PulseStream.Events;
using PulseStream.Storage;

namespace PulseStream.Operations;

/// <summary>What a replay did: the dead letters stored (now <c>replayed</c>), those that still fail, those not dead.</summary>
public sealed record ReplayReport(IReadOnlyList<long> Replayed, IReadOnlyList<StillDead> StillDead, IReadOnlyList<long> NotDead, long? Next);

/// <summary>A dead letter a replay could not store (all or some of its events), with the new error.</summary>
public sealed record StillDead(long Id, int Attempts, int? EventCount, string Error);

/// <summary>
/// Replays dead letters after a fix: each one's envelope goes through the consumer's own
/// <see cref="IsolatingEventWriter"/> in a transaction of its own, without the partition-position gate (a dead letter
/// is behind it by definition) but with the (tenant, event id) dedup. What is stored makes the letter
/// <c>replayed</c>; what still fails stays <c>dead</c> with one more attempt and the new error, and only those events
/// stay in it, so a later replay never stores an event twice. A replay holds only its letter's row lock and its
/// own transaction: it blocks no consumer and no other replay (locked letters are skipped).
/// </summary>
public sealed class DeadLetterReplayer(Database database, IsolatingEventWriter writer, Tenancy.TenantLimitsStore limits, ILogger<DeadLetterReplayer> logger)
{
    /// <summary>At most this many dead letters per call.</summary>
    public const int MaxPerCall = 1000;

    /// <summary>Replays the given ids (those still dead), or, with <paramref name="ids"/> null, the oldest dead letters after <paramref name="afterId"/>.</summary>
    public async Task<ReplayReport> ReplayAsync(IReadOnlyList<long>? ids, long? afterId, CancellationToken ct)
    {
        var candidates = await CandidatesAsync(ids, afterId ?? 0, ct);
        var replayed = new List<long>();
        var stillDead = new List<StillDead>();
        var notDead = ids is null ? [] : ids.Except(candidates).Distinct().ToList();
        foreach (var id in candidates)
        {
            var result = await ReplayOneAsync(id, ct);
            if (result is null) notDead.Add(id);
            else if (result.Error is null) replayed.Add(id);
            else stillDead.Add(result.Error);
        }
        long? next = null;
        if (ids is null && candidates.Count == MaxPerCall && await MoreDeadAfterAsync(candidates[^1], ct)) next = candidates[^1];
        return new ReplayReport(replayed, stillDead, notDead, next);
    }

    private Task<List<long>> CandidatesAsync(IReadOnlyList<long>? ids, long afterId, CancellationToken ct) =>
        database.InTransactionAsync(async (connection, transaction) =>
        {
            await using var command = new NpgsqlCommand("""
                SELECT id FROM dead_letters
                WHERE state = 'dead' AND ($1::bigint[] IS NULL OR id = ANY($1)) AND id > $2
                ORDER BY id LIMIT $3
                """, connection, transaction);
            command.Parameters.Add(new NpgsqlParameter { Value = (object?)ids?.ToArray() ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Bigint });
            command.Parameters.AddWithValue(afterId);
            command.Parameters.AddWithValue(MaxPerCall);
            var found = new List<long>();
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct)) found.Add(reader.GetInt64(0));
            return found;
        }, ct);

    private async Task<bool> MoreDeadAfterAsync(long id, CancellationToken ct)
    {
        await using var command = database.DataSource.CreateCommand("SELECT EXISTS (SELECT 1 FROM dead_letters WHERE state = 'dead' AND id > $1)");
        command.Parameters.AddWithValue(id);
        return (bool)(await command.ExecuteScalarAsync(ct))!;
    }

    private sealed record Result(StillDead? Error);

    /// <summary>Null when the letter is no longer dead (or another replay holds it).</summary>
    private async Task<Result?> ReplayOneAsync(long id, CancellationToken ct)
    {
        // The letter as it is now, to decode and to read its tenant's limits before its transaction.
        var letter = await ReadAsync(id, ct);
        if (letter is null) return null;
        EventEnvelope? envelope = null;
        Exception? decodeError = null;
        try
        {
            envelope = EventEnvelopeCodec.Decode(letter.Value.Body);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            decodeError = e;
        }
        var tenantLimits = new Dictionary<Guid, Tenancy.TenantLimits>();
        if (envelope is not null) tenantLimits[envelope.TenantId] = await limits.GetAsync(envelope.TenantId, ct);

        try
        {
            return await database.InTransactionAsync(async (connection, transaction) =>
            {
                // Only if nobody replayed it meanwhile: the attempt count is the row's version.
                if (!await LockAsync(connection, transaction, id, letter.Value.Attempts, ct)) return null;
                if (envelope is null) return new Result(await StayDeadAsync(connection, transaction, id, null, StoreFailures.Describe(decodeError!), ct));

                var events = envelope.Events.Select(e => new PendingEvent(id, envelope.TenantId, envelope.ReceivedAt, e)).ToList();
                var outcome = await writer.WriteAsync(connection, transaction, events, tenantLimits, ct);
                if (outcome.Rejected.Count == 0)
                {
                    await MarkReplayedAsync(connection, transaction, id, envelope, ct);
                    return new Result(null);
                }
                var failing = outcome.Rejected.Select(r => r.Pending.Event).ToList();
                // Events that were stored leave the letter; the ones still failing stay, so a later replay stores each once.
                var remaining = failing.Count == events.Count ? null : NewDeadLetter.ForEvents("", "", 0, envelope.TenantId, envelope.ReceivedAt, failing, 0, "");
                return new Result(await StayDeadAsync(connection, transaction, id, remaining, StoreFailures.Describe(outcome.Rejected[0].Error), ct));
            }, ct);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // A failure outside the isolated writes (the database went away): the letter is unchanged, the next replay tries it again.
            logger.LogWarning(e, "Replaying dead letter {DeadLetterId} failed", id);
            return new Result(new StillDead(id, letter.Value.Attempts, letter.Value.EventCount, "The replay could not complete (the Alerts app logs why); the dead letter is unchanged. Try again."));
        }
    }

    private async Task<(byte[] Body, int Attempts, int? EventCount)?> ReadAsync(long id, CancellationToken ct)
    {
        await using var command = database.DataSource.CreateCommand("SELECT body, attempts, event_count FROM dead_letters WHERE id = $1 AND state = 'dead'");
        command.Parameters.AddWithValue(id);
        await using var reader = await command.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct)) return null;
        return (reader.GetFieldValue<byte[]>(0), reader.GetInt32(1), reader.IsDBNull(2) ? null : reader.GetInt32(2));
    }

    private static async Task<bool> LockAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, long id, int attempts, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(
            "SELECT 1 FROM dead_letters WHERE id = $1 AND state = 'dead' AND attempts = $2 FOR UPDATE SKIP LOCKED", connection, transaction);
        command.Parameters.AddWithValue(id);
        command.Parameters.AddWithValue(attempts);
        return await command.ExecuteScalarAsync(ct) is not null;
    }

    private static async Task MarkReplayedAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, long id, EventEnvelope envelope, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("""
            UPDATE dead_letters SET state = 'replayed', replayed_at = now(), last_attempt_at = now(), attempts = attempts + 1,
                tenant_id = $2, event_count = $3
            WHERE id = $1
            """, connection, transaction);
        command.Parameters.AddWithValue(id);
        command.Parameters.AddWithValue(envelope.TenantId);
        command.Parameters.AddWithValue(envelope.Events.Count);
        await command.ExecuteNonQueryAsync(ct);
    }

    /// <summary>One more attempt and the new error; with <paramref name="remaining"/>, the letter keeps only those events.</summary>
    private static async Task<StillDead> StayDeadAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, long id, NewDeadLetter? remaining,
        string error, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("""
            UPDATE dead_letters SET attempts = attempts + 1, last_error = $2, last_attempt_at = now(),
                body = coalesce($3, body), event_count = coalesce($4, event_count),
                first_event_at = coalesce($5, first_event_at), first_route = coalesce($6, first_route)
            WHERE id = $1
            RETURNING attempts, event_count
            """, connection, transaction);
        command.Parameters.AddWithValue(id);
        command.Parameters.AddWithValue(error);
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)remaining?.Body ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Bytea });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)remaining?.EventCount ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Integer });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)remaining?.FirstEventAt?.UtcDateTime ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.TimestampTz });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)remaining?.FirstRoute ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        await using var reader = await command.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        return new StillDead(id, reader.GetInt32(0), reader.IsDBNull(1) ? null : reader.GetInt32(1), error);
    }
}
