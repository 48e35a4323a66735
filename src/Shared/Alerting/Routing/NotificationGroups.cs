using System.Text.Json;
using Npgsql;
using PulseStream.Http;
using PulseStream.Notifications;

namespace PulseStream.Alerting.Routing;

/// <summary>
/// A rule's notification group (migration 0028), Alertmanager's group with the rule as its route: the rule's alerts
/// are its members, and what they do reaches each channel as one notification listing them. A change (an alert fires,
/// is acknowledged or resolves, as <see cref="AlertNotices"/> lets through) is recorded in the transaction of the
/// change; the group is sent <see cref="GroupTiming.GroupWait"/> after its first change, then at most once per
/// <see cref="GroupTiming.GroupInterval"/> with the changes since, and again every
/// <see cref="GroupTiming.RepeatInterval"/> while a member fires unacknowledged. A change that finds the group due
/// flushes it at once, in the same transaction; the rest is flushed by <see cref="NotificationGroupFlusher"/>. Every
/// flush locks the group's row and re-reads when it is due, so however many evaluators and flushers race, a
/// notification is written once.
/// </summary>
public static class NotificationGroups
{
    /// <summary>
    /// Records <paramref name="changes"/> (alerts as stored now, firing, acknowledged or resolved) on their rules'
    /// groups, to be sent to <paramref name="channels"/>, and flushes a group that is due now.
    /// </summary>
    public static async Task RecordAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, IReadOnlyList<Guid> channels,
        IReadOnlyList<AlertView> changes, DateTimeOffset now, CancellationToken ct)
    {
        if (channels.Count == 0 || changes.Count == 0) return;
        var byRule = changes.GroupBy(c => c.RuleId).ToList();
        var timings = await TimingsAsync(connection, transaction, tenantId, byRule.Select(r => r.Key).ToArray(), ct);
        foreach (var rule in byRule)
        {
            var due = await TouchGroupAsync(connection, transaction, tenantId, rule.Key, channels, timings.GetValueOrDefault(rule.Key), now, ct);
            await using (var members = new NpgsqlCommand("""
                INSERT INTO notification_group_members (tenant_id, rule_id, alert_id, notified, changed, changed_at)
                SELECT $1, $2, u.id, u.state <> 'firing', true, $4 FROM unnest($3::uuid[], $5::text[]) AS u(id, state)
                ON CONFLICT (tenant_id, rule_id, alert_id) DO UPDATE SET changed = true, changed_at = EXCLUDED.changed_at
                """, connection, transaction))
            {
                // A member that is not yet in the group and is acknowledged or resolved was told of before groups
                // existed (AlertNotices lets through only what a receiver was told fired): it counts as notified.
                members.Parameters.AddWithValue(tenantId);
                members.Parameters.AddWithValue(rule.Key);
                members.Parameters.AddWithValue(rule.Select(a => a.Id).ToArray());
                members.Parameters.AddWithValue(now);
                members.Parameters.AddWithValue(rule.Select(a => a.State).ToArray());
                await members.ExecuteNonQueryAsync(ct);
            }
            if (due <= now) await FlushAsync(connection, transaction, tenantId, rule.Key, now, ct);
        }
    }

    /// <summary>
    /// Creates the group (due after groupWait) or brings its flush forward to when groupInterval has passed since its
    /// last notification; copies the rule's channels and timings. Answers when the group is due.
    /// </summary>
    private static async Task<DateTimeOffset?> TouchGroupAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, Guid ruleId,
        IReadOnlyList<Guid> channels, GroupTiming? timing, DateTimeOffset now, CancellationToken ct)
    {
        // A rule that is gone (its deletion resolves its alerts) keeps the timings its group had, or the defaults.
        await using var command = new NpgsqlCommand("""
            INSERT INTO notification_groups AS g (tenant_id, rule_id, channel_ids, group_wait, group_interval, repeat_interval, created_at, flush_at)
            VALUES ($1, $2, $3, coalesce($4, $8), coalesce($5, $9), coalesce($6, $10), $7, $7 + coalesce($4, $8))
            ON CONFLICT (tenant_id, rule_id) DO UPDATE SET channel_ids = EXCLUDED.channel_ids,
                group_wait = coalesce($4, g.group_wait), group_interval = coalesce($5, g.group_interval), repeat_interval = coalesce($6, g.repeat_interval),
                flush_at = CASE WHEN g.last_sent_at IS NULL THEN least(coalesce(g.flush_at, 'infinity'), $7 + coalesce($4, g.group_wait))
                                ELSE least(coalesce(g.flush_at, 'infinity'), greatest($7, g.last_sent_at + coalesce($5, g.group_interval))) END
            RETURNING flush_at
            """, connection, transaction);
        var defaults = GroupTiming.Of(null, null, null);
        command.Parameters.AddWithValue(tenantId);
        command.Parameters.AddWithValue(ruleId);
        command.Parameters.AddWithValue(channels.ToArray());
        command.Parameters.Add(Interval(timing?.GroupWait));
        command.Parameters.Add(Interval(timing?.GroupInterval));
        command.Parameters.Add(Interval(timing?.RepeatInterval));
        command.Parameters.AddWithValue(now);
        command.Parameters.AddWithValue(defaults.GroupWait);
        command.Parameters.AddWithValue(defaults.GroupInterval);
        command.Parameters.AddWithValue(defaults.RepeatInterval);
        return await command.ExecuteScalarAsync(ct) is DateTime flushAt ? new DateTimeOffset(DateTime.SpecifyKind(flushAt, DateTimeKind.Utc)) : null;
    }

    private static NpgsqlParameter Interval(TimeSpan? value) =>
        new() { Value = (object?)value ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Interval };

    /// <summary>The grouping timings of the rules that exist.</summary>
    private static async Task<Dictionary<Guid, GroupTiming>> TimingsAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, Guid[] ruleIds,
        CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("""
            SELECT id, definition->>'groupWait', definition->>'groupInterval', definition->>'repeatInterval' FROM alert_rules WHERE tenant_id = $1 AND id = ANY($2)
            """, connection, transaction);
        command.Parameters.AddWithValue(tenantId);
        command.Parameters.AddWithValue(ruleIds);
        var timings = new Dictionary<Guid, GroupTiming>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            timings[reader.GetGuid(0)] = GroupTiming.Of(reader.IsDBNull(1) ? null : reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2),
                reader.IsDBNull(3) ? null : reader.GetString(3));
        return timings;
    }

    /// <summary>
    /// Sends the group of <paramref name="ruleId"/> if it is due at <paramref name="now"/> (re-read under the row's
    /// lock): one delivery per channel listing its firing alerts and those whose acknowledgement or resolve is news to
    /// the receivers, then schedules the repeat, or closes the group when no member is left. Answers how many
    /// deliveries were written.
    /// </summary>
    public static async Task<int> FlushAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, Guid ruleId, DateTimeOffset now,
        CancellationToken ct)
    {
        Guid[] channels;
        await using (var select = new NpgsqlCommand("""
            SELECT channel_ids, flush_at FROM notification_groups WHERE tenant_id = $1 AND rule_id = $2 FOR UPDATE
            """, connection, transaction))
        {
            select.Parameters.AddWithValue(tenantId);
            select.Parameters.AddWithValue(ruleId);
            await using var reader = await select.ExecuteReaderAsync(ct);
            // Another flush came first (it moved flush_at on), or the group closed.
            if (!await reader.ReadAsync(ct) || reader.IsDBNull(1) || reader.GetFieldValue<DateTimeOffset>(1) > now) return 0;
            channels = reader.GetFieldValue<Guid[]>(0);
        }

        var members = new Dictionary<Guid, (bool Notified, bool Changed)>();
        await using (var select = new NpgsqlCommand("SELECT alert_id, notified, changed FROM notification_group_members WHERE tenant_id = $1 AND rule_id = $2",
            connection, transaction))
        {
            select.Parameters.AddWithValue(tenantId);
            select.Parameters.AddWithValue(ruleId);
            await using var reader = await select.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct)) members[reader.GetGuid(0)] = (reader.GetBoolean(1), reader.GetBoolean(2));
        }
        var views = members.Count == 0 ? [] : await AlertQueries.ListAsync(connection, transaction, tenantId, new AlertFilter(Ids: members.Keys.ToArray()), members.Count, now, ct);
        var plan = GroupFlushPlan.Of(views, members);

        var written = 0;
        if (plan.Listed.Count > 0)
        {
            var notice = GroupNotice.Of(ruleId, plan.Listed, plan.OpenAfter);
            written = await NotificationOutbox.EnqueueAsync(connection, transaction, tenantId, channels, notice.Lead.Id, notice.EventType,
                JsonSerializer.SerializeToElement(notice.Payload, Json.Options), now, ct, notice.Listed.Select(a => a.Id).ToArray());
        }

        await using (var update = new NpgsqlCommand("""
            WITH gone AS (DELETE FROM notification_group_members WHERE tenant_id = $1 AND rule_id = $2 AND alert_id = ANY($3))
            UPDATE notification_group_members SET changed = false, notified = notified OR alert_id = ANY($4)
            WHERE tenant_id = $1 AND rule_id = $2 AND NOT alert_id = ANY($3)
            """, connection, transaction))
        {
            update.Parameters.AddWithValue(tenantId);
            update.Parameters.AddWithValue(ruleId);
            update.Parameters.AddWithValue(plan.Leaving.ToArray());
            update.Parameters.AddWithValue(plan.Listed.Where(a => a.State == "firing").Select(a => a.Id).ToArray());
            await update.ExecuteNonQueryAsync(ct);
        }
        await using (var schedule = new NpgsqlCommand(plan.OpenAfter == 0
            ? "DELETE FROM notification_groups WHERE tenant_id = $1 AND rule_id = $2"
            : """
              UPDATE notification_groups SET claimed_until = NULL,
                  last_sent_at = CASE WHEN $3 THEN $4 ELSE last_sent_at END,
                  flush_at = CASE WHEN $5 THEN $4 + repeat_interval END
              WHERE tenant_id = $1 AND rule_id = $2
              """, connection, transaction))
        {
            schedule.Parameters.AddWithValue(tenantId);
            schedule.Parameters.AddWithValue(ruleId);
            if (plan.OpenAfter > 0)
            {
                schedule.Parameters.AddWithValue(plan.Listed.Count > 0);
                schedule.Parameters.AddWithValue(now);
                // While a member fires (a muted one too: it is told of when its muting ends), the group repeats.
                schedule.Parameters.AddWithValue(plan.Firing > 0);
            }
            await schedule.ExecuteNonQueryAsync(ct);
        }
        return written;
    }
}

/// <summary>
/// What one flush of a group sends and keeps: it lists the firing alerts that nothing mutes, and the acknowledged and
/// resolved ones whose change is news to receivers that were told they fired; resolved members (and those gone) leave.
/// </summary>
internal sealed record GroupFlushPlan(List<AlertView> Listed, List<Guid> Leaving, int OpenAfter, int Firing)
{
    public static GroupFlushPlan Of(IReadOnlyList<AlertView> views, IReadOnlyDictionary<Guid, (bool Notified, bool Changed)> members)
    {
        var byId = views.ToDictionary(v => v.Id);
        var listed = new List<AlertView>();
        var leaving = new List<Guid>();
        var firing = 0;
        foreach (var (id, member) in members)
        {
            if (!byId.TryGetValue(id, out var view)) { leaving.Add(id); continue; }
            switch (view.State)
            {
                case "firing":
                    firing++;
                    if (view.Silenced is null) listed.Add(view);
                    break;
                case "acknowledged":
                    if (member.Notified && member.Changed) listed.Add(view);
                    break;
                case "resolved":
                    if (member.Notified) listed.Add(view);
                    leaving.Add(id);
                    break;
            }
        }
        return new GroupFlushPlan(GroupNotice.InOrder(listed), leaving, members.Count - leaving.Count, firing);
    }
}
