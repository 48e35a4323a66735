using Npgsql;

namespace PulseStream.Alerting.Routing;

/// <summary>
/// Decides who is told of alert changes, for every writer (evaluation, acknowledgements and resolves, rule closure, the
/// release of held notifications): a firing alert that a silence or maintenance window mutes (its view's
/// <see cref="AlertView.Silenced"/>) notifies nobody; its firing notification is held, and sent when the muting ends
/// while it still fires. Its later changes reach a receiver only if the receiver was told it fired: an alert
/// acknowledged or resolved while its notification is held notifies nobody, then or later (its hold ends). A resolve of an alert
/// whose firing was sent always goes out, muted or not: it closes what the receiver already opened.
/// </summary>
public static class AlertNotices
{
    /// <summary>
    /// Records <c>alert.{state}</c> for each of <paramref name="views"/> (alerts as stored now) on its rule's notification
    /// group (<see cref="NotificationGroups"/>; a group whose firing alerts all flap is sent as <c>alert.flapping</c>), to be
    /// sent to <paramref name="channels"/>, holding what muting holds, with a timeline entry for each alert that notifies
    /// nobody and why. The holds are kept without channels too: escalation and the release read them.
    /// </summary>
    public static async Task EnqueueAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, IReadOnlyList<Guid> channels,
        IReadOnlyList<AlertView> views, DateTimeOffset now, CancellationToken ct)
    {
        var firing = views.Where(v => v.State == "firing").ToList();
        var silenced = firing.Where(v => v.Silenced is not null).ToList();
        // An alert already firing before it started flapping keeps what its firing notice was (told, or held): holding
        // it now would withhold its resolve from receivers that were told it fired. While muted, its flap is told nobody.
        var flapOnly = silenced.Where(v => v.FlappingStarted && v.FiringAt < now).ToList();
        foreach (var alert in flapOnly)
            await AlertTimeline.AppendAsync(connection, transaction, tenantId, alert.Id, now, "muted", alert.State, alert.Value, null,
                $"Not notified that it flaps: {Describe(alert.Silenced!)} mutes this alert until {alert.Silenced!.Until:u}.", ct);
        var muted = silenced.Except(flapOnly).ToList();
        if (muted.Count > 0)
        {
            await SetFiringNoticeAsync(connection, transaction, tenantId, muted.Select(v => v.Id).ToArray(), "held", ct);
            foreach (var alert in muted)
                await AlertTimeline.AppendAsync(connection, transaction, tenantId, alert.Id, now, "muted", alert.State, alert.Value, null,
                    $"Not notified: {Describe(alert.Silenced!)} mutes this alert until {alert.Silenced!.Until:u}; its firing notification is sent then if it still fires.", ct);
        }
        var announced = firing.Where(v => v.Silenced is null).ToList();
        if (announced.Count > 0) await SetFiringNoticeAsync(connection, transaction, tenantId, announced.Select(v => v.Id).ToArray(), null, ct);

        // Nobody was told these fired: nobody is told of the rest (a held notification is never sent now).
        var rest = views.Where(v => v.State != "firing").ToList();
        var unannounced = rest.Count == 0 ? [] : await WithholdAsync(connection, transaction, tenantId, rest.Select(v => v.Id).ToArray(), ct);
        foreach (var alert in rest.Where(v => unannounced.Contains(v.Id)))
            await AlertTimeline.AppendAsync(connection, transaction, tenantId, alert.Id, now, "muted", alert.State, alert.Value, null,
                $"Not notified: nobody was told this alert fired (it was muted), so nobody is told it is {alert.State}.", ct);

        await SilenceStore.ExpireOnResolveAsync(connection, transaction, tenantId, rest.Where(v => v.State == "resolved").Select(v => v.Id).ToList(), now, ct);

        // What is told goes through the rule's notification group: listed with the group's other changes, once.
        await NotificationGroups.RecordAsync(connection, transaction, tenantId, channels, announced.Concat(rest.Where(v => !unannounced.Contains(v.Id))).ToList(), now, ct);
    }

    /// <summary>What mutes an alert, in words.</summary>
    public static string Describe(Muting muting) => muting.Kind == "silence" ? $"silence {muting.Id}" : $"maintenance window {muting.Id}";

    /// <summary>Sets what muting did to the firing notifications of <paramref name="ids"/> (null: it went out).</summary>
    internal static async Task SetFiringNoticeAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, Guid[] ids, string? notice,
        CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("""
            UPDATE alerts SET firing_notice = $3 WHERE tenant_id = $1 AND id = ANY($2) AND firing_notice IS DISTINCT FROM $3
            """, connection, transaction);
        command.Parameters.AddWithValue(tenantId);
        command.Parameters.AddWithValue(ids);
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)notice ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        await command.ExecuteNonQueryAsync(ct);
    }

    /// <summary>Of <paramref name="ids"/>, those whose firing nobody was told of, now marked so for good.</summary>
    private static async Task<HashSet<Guid>> WithholdAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, Guid[] ids, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("""
            UPDATE alerts SET firing_notice = 'withheld' WHERE tenant_id = $1 AND id = ANY($2) AND firing_notice IS NOT NULL RETURNING id
            """, connection, transaction);
        command.Parameters.AddWithValue(tenantId);
        command.Parameters.AddWithValue(ids);
        var withheld = new HashSet<Guid>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) withheld.Add(reader.GetGuid(0));
        return withheld;
    }
}
