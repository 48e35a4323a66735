using Npgsql;
using PulseStream.Messaging;
using PulseStream.Storage;

namespace PulseStream.Retention;

/// <summary>
/// The tables kept for a fixed time, whatever the tenant: client event ids past the dedup window, the local event log
/// behind every consumer group, delivered and dead notifications, replayed dead letters, resolved alerts with their
/// timelines, expired refresh tokens, and login and signup throttle rows that mean nothing any more. Each batch is one
/// statement of at most the batch size. Tenant tables go through the functions of migration 0011, which clamp the
/// cutoffs they are given (never within the dedup window, never a pending delivery or an open alert).
/// </summary>
internal sealed class RetentionSweeps(Database database, RetentionOptions options, TimeSpan signupFullRefill)
{
    /// <summary>The consumer groups of the apps' own Event Hub triggers: the log is kept for them even before they first checkpoint.</summary>
    private static readonly string[] KnownConsumerGroups = [EventHubNames.AlertsConsumerGroup, EventHubNames.RealtimeConsumerGroup];

    public async Task RunAsync(RetentionRun run, DateTimeOffset now, CancellationToken ct)
    {
        await run.DrainAsync("event_ids", limit => ScalarAsync("SELECT retention_delete_event_ids($1, $2)", ct, now - options.EventIdsAge, limit));
        await SweepEventLogAsync(run, now, ct);
        await run.DrainAsync("notification_outbox", limit => ScalarAsync("SELECT retention_delete_outbox($1, $2, $3)", ct,
            now - options.DeliveredNotificationAge, now - options.DeadNotificationAge, limit));
        await run.DrainAsync("dead_letters", limit => ExecuteAsync("""
            DELETE FROM dead_letters WHERE id = ANY (ARRAY(
                SELECT id FROM dead_letters WHERE state = 'replayed' AND replayed_at < $1 LIMIT $2))
            """, ct, now - options.ReplayedDeadLetterAge, limit));
        await SweepResolvedAlertsAsync(run, now, ct);
        await run.DrainAsync("refresh_tokens", limit => ScalarAsync("SELECT retention_delete_refresh_tokens($1, $2)", ct, now - options.ExpiredRefreshTokenAge, limit));
        await run.DrainAsync("login_throttle", limit => ExecuteAsync("""
            DELETE FROM login_throttle WHERE key = ANY (ARRAY(
                SELECT key FROM login_throttle WHERE window_start < $1 AND (locked_until IS NULL OR locked_until < $2) LIMIT $3))
            """, ct, now - options.LoginThrottleAge, now, limit));
        var signupAge = options.SignupThrottleAge > signupFullRefill ? options.SignupThrottleAge : signupFullRefill;
        await run.DrainAsync("signup_throttle", limit => ExecuteAsync("""
            DELETE FROM signup_throttle WHERE key = ANY (ARRAY(SELECT key FROM signup_throttle WHERE updated_at < $1 LIMIT $2))
            """, ct, now - signupAge, limit));
    }

    /// <summary>
    /// Per hub and partition, the messages every consumer group has checkpointed past (a group without a checkpoint
    /// has passed nothing) and that are older than the log's retention, oldest first. Sequence numbers and append
    /// times rise together, so each statement reads only the oldest batch of the partition.
    /// </summary>
    private async Task SweepEventLogAsync(RetentionRun run, DateTimeOffset now, CancellationToken ct)
    {
        var passed = new List<(string Hub, int Partition, long Sequence)>();
        await using (var command = database.DataSource.CreateCommand("""
            SELECT p.hub, p.partition_id, min(coalesce(c.sequence_number, 0))
            FROM event_log_partitions p
            CROSS JOIN LATERAL (SELECT g FROM unnest($1::text[]) AS u(g)
                                UNION SELECT k.consumer_group FROM event_log_checkpoints k WHERE k.hub = p.hub) AS groups(name)
            LEFT JOIN event_log_checkpoints c ON c.hub = p.hub AND c.partition_id = p.partition_id AND c.consumer_group = groups.name
            GROUP BY p.hub, p.partition_id
            """))
        {
            command.Parameters.AddWithValue(KnownConsumerGroups);
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct)) passed.Add((reader.GetString(0), reader.GetInt32(1), reader.GetInt64(2)));
        }
        foreach (var (hub, partition, sequence) in passed.Where(p => p.Sequence > 0))
            await run.DrainAsync("event_log_messages", limit => ExecuteAsync("""
                DELETE FROM event_log_messages WHERE hub = $1 AND partition_id = $2 AND sequence_number = ANY (ARRAY(
                    SELECT oldest.sequence_number FROM (
                        SELECT sequence_number, enqueued_at FROM event_log_messages
                        WHERE hub = $1 AND partition_id = $2 AND sequence_number <= $3
                        ORDER BY sequence_number LIMIT $5) AS oldest
                    WHERE oldest.enqueued_at < $4))
                """, ct, hub, partition, sequence, now - options.EventLogRetention, limit));
    }

    private async Task SweepResolvedAlertsAsync(RetentionRun run, DateTimeOffset now, CancellationToken ct)
    {
        // Timeline entries first, then the alerts left without one: two statements, each of at most a batch.
        while (run.CanContinue(statements: 2))
        {
            await using var command = database.DataSource.CreateCommand("SELECT timeline_entries, alerts FROM retention_delete_resolved_alerts($1, $2)");
            command.Parameters.AddWithValue(now - options.ResolvedAlertAge);
            command.Parameters.AddWithValue(run.BatchSize);
            await using var reader = await command.ExecuteReaderAsync(ct);
            await reader.ReadAsync(ct);
            var (entries, alerts) = (reader.GetInt64(0), reader.GetInt64(1));
            run.Report.AddBatch("alert_timeline", entries);
            run.Report.AddBatch("alerts", alerts);
            if (entries < run.BatchSize && alerts < run.BatchSize) break;
        }
    }

    private async Task<long> ScalarAsync(string sql, CancellationToken ct, params object[] args)
    {
        await using var command = database.DataSource.CreateCommand(sql);
        foreach (var arg in args) command.Parameters.AddWithValue(arg);
        return (long)(await command.ExecuteScalarAsync(ct))!;
    }

    private async Task<long> ExecuteAsync(string sql, CancellationToken ct, params object[] args)
    {
        await using var command = database.DataSource.CreateCommand(sql);
        foreach (var arg in args) command.Parameters.AddWithValue(arg);
        return await command.ExecuteNonQueryAsync(ct);
    }
}
