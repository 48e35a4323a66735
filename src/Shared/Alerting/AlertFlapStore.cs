using Npgsql;

namespace PulseStream.Alerting;

/// <summary>
/// Reads and writes the flap state of a rule's groups (<c>alert_flaps</c>, <see cref="FlapHistory"/>) in the evaluation
/// unit's transaction, with one statement each, only for rules with <c>flapDetection</c>. Each row is bounded (at most
/// <c>changes</c> + 1 change times), and a row that says nothing any more (no change within <c>within</c>, no flapping
/// alert) is deleted, so a rule keeps rows only for the groups that changed state recently.
/// </summary>
public static class AlertFlapStore
{
    /// <summary>The stored flap state of <paramref name="groups"/> of the rule (groups without any are left out).</summary>
    public static async Task<Dictionary<string, FlapHistory>> ReadAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, Guid ruleId,
        string[] groups, CancellationToken ct)
    {
        var histories = new Dictionary<string, FlapHistory>(StringComparer.Ordinal);
        if (groups.Length == 0) return histories;
        await using var command = new NpgsqlCommand("""
            SELECT group_key, changes, last_change_at, underneath_firing, pending_since, flapping_changes
            FROM alert_flaps WHERE tenant_id = $1 AND rule_id = $2 AND group_key = ANY($3)
            """, connection, transaction);
        command.Parameters.AddWithValue(tenantId);
        command.Parameters.AddWithValue(ruleId);
        command.Parameters.AddWithValue(groups);
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            histories[reader.GetString(0)] = new FlapHistory(reader.GetFieldValue<DateTimeOffset[]>(1),
                reader.IsDBNull(2) ? null : reader.GetFieldValue<DateTimeOffset>(2), reader.GetBoolean(3),
                reader.IsDBNull(4) ? null : reader.GetFieldValue<DateTimeOffset>(4), reader.GetInt32(5));
        return histories;
    }

    /// <summary>Stores the flap state that <paramref name="decisions"/> changed, then deletes the rule's rows that say nothing any more.</summary>
    public static async Task SaveAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, AlertRule rule,
        IReadOnlyList<AlertDecision> decisions, DateTimeOffset now, CancellationToken ct)
    {
        var changed = decisions.Where(d => d.FlapHistory is not null).ToList();
        if (changed.Count > 0)
        {
            // Arrays of arrays do not pass through unnest as rows: the change times travel as one text per group.
            await using var upsert = new NpgsqlCommand("""
                INSERT INTO alert_flaps (tenant_id, rule_id, group_key, changes, last_change_at, underneath_firing, pending_since, flapping_changes)
                SELECT $1, $2, u.group_key, u.changes::timestamptz[], u.last_change_at, u.underneath_firing, u.pending_since, u.flapping_changes
                FROM unnest($3::text[], $4::text[], $5::timestamptz[], $6::bool[], $7::timestamptz[], $8::int[])
                    AS u(group_key, changes, last_change_at, underneath_firing, pending_since, flapping_changes)
                ON CONFLICT (tenant_id, rule_id, group_key) DO UPDATE SET changes = excluded.changes, last_change_at = excluded.last_change_at,
                    underneath_firing = excluded.underneath_firing, pending_since = excluded.pending_since, flapping_changes = excluded.flapping_changes
                """, connection, transaction);
            upsert.Parameters.AddWithValue(tenantId);
            upsert.Parameters.AddWithValue(rule.Id);
            upsert.Parameters.AddWithValue(changed.Select(d => d.Group).ToArray());
            upsert.Parameters.AddWithValue(changed.Select(d => ArrayText(d.FlapHistory!.Changes)).ToArray());
            upsert.Parameters.AddWithValue(changed.Select(d => d.FlapHistory!.LastChangeAt).ToArray());
            upsert.Parameters.AddWithValue(changed.Select(d => d.FlapHistory!.UnderneathFiring).ToArray());
            upsert.Parameters.AddWithValue(changed.Select(d => d.FlapHistory!.PendingSince).ToArray());
            upsert.Parameters.AddWithValue(changed.Select(d => d.FlapHistory!.FlappingChanges).ToArray());
            await upsert.ExecuteNonQueryAsync(ct);
        }
        await using var prune = new NpgsqlCommand("""
            DELETE FROM alert_flaps f WHERE f.tenant_id = $1 AND f.rule_id = $2 AND (f.last_change_at IS NULL OR f.last_change_at <= $3)
              AND NOT EXISTS (SELECT 1 FROM alerts a WHERE a.tenant_id = f.tenant_id AND a.rule_id = f.rule_id AND a.group_key = f.group_key
                              AND a.state <> 'resolved' AND a.flapping_since IS NOT NULL)
            """, connection, transaction);
        prune.Parameters.AddWithValue(tenantId);
        prune.Parameters.AddWithValue(rule.Id);
        prune.Parameters.AddWithValue(now - rule.Flap!.WithinSpan);
        await prune.ExecuteNonQueryAsync(ct);
    }

    /// <summary>A Postgres array literal of <paramref name="times"/> (ISO 8601 in UTC, quoted).</summary>
    private static string ArrayText(IReadOnlyList<DateTimeOffset> times) =>
        "{" + string.Join(",", times.Select(t => "\"" + t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", System.Globalization.CultureInfo.InvariantCulture) + "\"")) + "}";
}
