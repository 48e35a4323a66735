using Microsoft.Extensions.Logging;
using Npgsql;
using PulseStream.Realtime;
using PulseStream.Storage;

namespace PulseStream.Alerting.Routing;

/// <summary>
/// Sends the firing notifications that muting held, once the muting has ended while the alert still fires (a silence
/// that ran out or was expired, a maintenance occurrence that closed). Run by a timer; each tenant's release is one
/// transaction under the tenant's alert lock (the one evaluation and acknowledgements take), so a hold is released
/// once, however many instances run it, and never beside an acknowledgement or resolve of the same alert.
/// </summary>
public sealed class HeldNotificationRelease(Database database, TimeProvider time, IRealtimePublisher realtime, ILogger<HeldNotificationRelease> logger)
{
    /// <summary>How many held alerts of one tenant one run looks at; the rest wait for the next run.</summary>
    public const int MaxPerTenant = 500;

    /// <summary>Releases what is due across tenants; answers how many notifications were released.</summary>
    public async Task<int> RunAsync(CancellationToken ct)
    {
        var tenants = new List<Guid>();
        await using (var command = database.DataSource.CreateCommand("SELECT tenants_with_held_notifications()"))
        await using (var reader = await command.ExecuteReaderAsync(ct))
            while (await reader.ReadAsync(ct)) tenants.Add(reader.GetGuid(0));

        var released = 0;
        foreach (var tenantId in tenants)
        {
            try
            {
                var views = await database.ForTenantAsync(tenantId, (c, t) => ReleaseAsync(c, t, tenantId, time.GetUtcNow(), ct), ct);
                released += views.Count;
                await PublishAsync(tenantId, views);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // One tenant's failure (its store, a bad rule) does not hold back another's release.
                logger.LogError(e, "Releasing the held notifications of tenant {TenantId} failed", tenantId);
            }
        }
        return released;
    }

    /// <summary>
    /// Live dashboards hear that the released alerts are no longer muted (their <c>silenced</c> is gone), after commit;
    /// a failed push loses only the push.
    /// </summary>
    private async Task PublishAsync(Guid tenantId, List<AlertView> views)
    {
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            foreach (var view in views) await realtime.SendToTenantAsync(tenantId, RealtimeTargets.Alert, view, bound.Token);
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException)
        {
            logger.LogWarning(e, "Pushing {Count} released alerts of tenant {TenantId} live failed", views.Count, tenantId);
        }
    }

    /// <summary>Releases the tenant's held alerts that nothing mutes at <paramref name="now"/>; answers them as they are now.</summary>
    internal static async Task<List<AlertView>> ReleaseAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, DateTimeOffset now, CancellationToken ct)
    {
        await using (var lockTenant = new NpgsqlCommand("SELECT pg_advisory_xact_lock(hashtextextended('alerts:' || $1::text, 0))", connection, transaction))
        {
            lockTenant.Parameters.AddWithValue(tenantId.ToString());
            await lockTenant.ExecuteNonQueryAsync(ct);
        }
        var held = new List<(Guid AlertId, Guid RuleId)>();
        await using (var select = new NpgsqlCommand("""
            SELECT id, rule_id FROM alerts WHERE tenant_id = $1 AND firing_notice = 'held' AND state = 'firing' ORDER BY firing_at, id LIMIT $2
            """, connection, transaction))
        {
            select.Parameters.AddWithValue(tenantId);
            select.Parameters.AddWithValue(MaxPerTenant);
            await using var reader = await select.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct)) held.Add((reader.GetGuid(0), reader.GetGuid(1)));
        }
        if (held.Count == 0) return [];

        // Read as every writer reads them: an alert still muted says so, and stays held.
        var views = await AlertQueries.ListAsync(connection, transaction, tenantId, new AlertFilter(Ids: held.Select(h => h.AlertId).ToArray()), held.Count, now, ct);
        var free = views.Where(v => v.Silenced is null).ToList();
        if (free.Count == 0) return [];
        await AlertNotices.SetFiringNoticeAsync(connection, transaction, tenantId, free.Select(v => v.Id).ToArray(), null, ct);
        var channels = await RuleChannels.ReadAsync(connection, transaction, tenantId, free.Select(v => v.RuleId).Distinct().ToArray(), ct);
        foreach (var alert in free)
            await AlertTimeline.AppendAsync(connection, transaction, tenantId, alert.Id, now, "unmuted", alert.State, alert.Value, null,
                "The muting ended while the alert fires: its firing notification goes out now, with its rule's notification group.", ct);
        // Each rule's released alerts are a change of its notification group, sent with the group's timings.
        foreach (var rule in free.GroupBy(a => a.RuleId))
            if (channels.TryGetValue(rule.Key, out var ruleChannels))
                await NotificationGroups.RecordAsync(connection, transaction, tenantId, ruleChannels, rule.ToList(), now, ct);
        return free;
    }
}
