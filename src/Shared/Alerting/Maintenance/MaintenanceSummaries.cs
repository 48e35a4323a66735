using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Npgsql;
using PulseStream.Alerting.Routing;
using PulseStream.Http;
using PulseStream.Notifications;
using PulseStream.Storage;

namespace PulseStream.Alerting.Maintenance;

/// <summary>
/// A window's <c>summaryAtEnd</c> (issue 14 §4): when an occurrence of a window that asks for it has ended, one
/// <c>maintenance.summary</c> notification per channel ("2 alerts fired and resolved during maintenance", listing
/// them) goes to the channels of the rules whose alerts the window muted during it: those that started firing inside
/// the occurrence and match the window's matchers. Run by a timer; each tenant's pass is one transaction under a
/// tenant lock, and an occurrence is summarised in the transaction that writes its row of
/// <c>maintenance_summaries</c> (migration 0030), so it is summarised exactly once, by whichever instance gets there
/// first, and an occurrence that ended while every host was down is summarised after the restart (within
/// <see cref="Lookback"/>). Enqueued straight into the outbox (not through <see cref="AlertNotices"/>): a summary is
/// about an occurrence, not an alert's change.
/// </summary>
public sealed class MaintenanceSummaries(Database database, TimeProvider time, ILogger<MaintenanceSummaries> logger)
{
    /// <summary>The notification's event type.</summary>
    public const string EventType = "maintenance.summary";

    /// <summary>How long after its end an occurrence is still summarised (a host down longer loses that summary); rows are kept twice as long.</summary>
    public static readonly TimeSpan Lookback = TimeSpan.FromDays(1);

    /// <summary>The most alerts one summary lists (the count says how many there were).</summary>
    public const int MaxListed = 50;

    /// <summary>The most ended occurrences of one window one pass looks at (a window may recur every minute).</summary>
    private const int MaxOccurrencesPerWindow = 100;

    /// <summary>Summarises what has ended across tenants; answers how many summaries were enqueued.</summary>
    public async Task<int> RunAsync(CancellationToken ct)
    {
        var tenants = new List<Guid>();
        await using (var command = database.DataSource.CreateCommand("SELECT tenants_with_maintenance_summaries()"))
        await using (var reader = await command.ExecuteReaderAsync(ct))
            while (await reader.ReadAsync(ct)) tenants.Add(reader.GetGuid(0));

        var sent = 0;
        foreach (var tenantId in tenants)
        {
            try
            {
                sent += await database.ForTenantAsync(tenantId, (c, t) => SummarizeAsync(c, t, tenantId, time.GetUtcNow(), ct), ct);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogError(e, "Summarising the maintenance windows of tenant {TenantId} failed", tenantId);
            }
        }
        return sent;
    }

    /// <summary>The tenant's ended, not yet summarised occurrences, each summarised; answers how many deliveries were enqueued.</summary>
    internal static async Task<int> SummarizeAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, DateTimeOffset now, CancellationToken ct)
    {
        await using (var lockTenant = new NpgsqlCommand("SELECT pg_advisory_xact_lock(hashtextextended('maintenance_summaries:' || $1::text, 0))", connection, transaction))
        {
            lockTenant.Parameters.AddWithValue(tenantId.ToString());
            await lockTenant.ExecuteNonQueryAsync(ct);
        }
        await using (var prune = new NpgsqlCommand("DELETE FROM maintenance_summaries WHERE tenant_id = $1 AND occurrence_end < $2", connection, transaction))
        {
            prune.Parameters.AddWithValue(tenantId);
            prune.Parameters.AddWithValue(now - Lookback * 2);
            await prune.ExecuteNonQueryAsync(ct);
        }
        var enqueued = 0;
        foreach (var (window, valid) in await MaintenanceWindowStore.CompiledAsync(connection, transaction, tenantId, ct))
        {
            if (!window.SummaryAtEnd) continue;
            var done = await SummarizedAsync(connection, transaction, tenantId, window.Id, now - Lookback * 2, ct);
            // An occurrence that ended before the window existed muted nothing of it.
            foreach (var occurrence in valid.Schedule.Between(now - Lookback, now, MaxOccurrencesPerWindow))
                if (occurrence.End <= now && occurrence.End > window.CreatedAt && !done.Contains(occurrence.Start))
                    enqueued += await SummarizeOccurrenceAsync(connection, transaction, tenantId, window, valid, occurrence, now, ct);
        }
        return enqueued;
    }

    private static async Task<HashSet<DateTimeOffset>> SummarizedAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, Guid windowId,
        DateTimeOffset since, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("""
            SELECT occurrence_start FROM maintenance_summaries WHERE tenant_id = $1 AND window_id = $2 AND occurrence_end >= $3
            """, connection, transaction);
        command.Parameters.AddWithValue(tenantId);
        command.Parameters.AddWithValue(windowId);
        command.Parameters.AddWithValue(since);
        var starts = new HashSet<DateTimeOffset>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) starts.Add(reader.GetFieldValue<DateTimeOffset>(0));
        return starts;
    }

    private static async Task<int> SummarizeOccurrenceAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, MaintenanceWindow window,
        ValidMaintenanceWindow valid, MaintenanceOccurrence occurrence, DateTimeOffset now, CancellationToken ct)
    {
        // The alerts that started firing inside the occurrence (the window muted their firing notification) and that it matches.
        var started = new List<Guid>();
        await using (var select = new NpgsqlCommand("""
            SELECT id FROM alerts WHERE tenant_id = $1 AND firing_at >= $2 AND firing_at < $3 ORDER BY firing_at, id LIMIT $4
            """, connection, transaction))
        {
            select.Parameters.AddWithValue(tenantId);
            select.Parameters.AddWithValue(occurrence.Start);
            select.Parameters.AddWithValue(occurrence.End);
            select.Parameters.AddWithValue(MaintenanceWindowStore.MaxPerTenant * MaxListed);
            await using var reader = await select.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct)) started.Add(reader.GetGuid(0));
        }
        var matched = started.Count == 0 ? []
            : (await OpenAlertLabels.ReadAsync(connection, transaction, tenantId, started.ToArray(), ct)).Where(a => valid.Matchers.Matches(a.Labels)).Select(a => a.AlertId).ToArray();
        var alerts = matched.Length == 0 ? []
            : (await AlertQueries.ListAsync(connection, transaction, tenantId, new AlertFilter(Ids: matched), matched.Length, now, ct))
                .OrderBy(a => a.FiringAt).ThenBy(a => a.Id).ToList();
        var channels = alerts.Count == 0 ? []
            : await RuleChannels.ReadAsync(connection, transaction, tenantId, alerts.Select(a => a.RuleId).Distinct().ToArray(), ct);

        // Each channel hears of the alerts of its own rules.
        var perChannel = new Dictionary<Guid, List<AlertView>>();
        foreach (var alert in alerts)
            if (channels.TryGetValue(alert.RuleId, out var ruleChannels))
                foreach (var channel in ruleChannels.Distinct())
                    (perChannel.TryGetValue(channel, out var list) ? list : perChannel[channel] = []).Add(alert);

        await using (var record = new NpgsqlCommand("""
            INSERT INTO maintenance_summaries (tenant_id, window_id, occurrence_start, occurrence_end, alert_count, channel_count, summarized_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING
            """, connection, transaction))
        {
            record.Parameters.AddWithValue(tenantId);
            record.Parameters.AddWithValue(window.Id);
            record.Parameters.AddWithValue(occurrence.Start);
            record.Parameters.AddWithValue(occurrence.End);
            record.Parameters.AddWithValue(alerts.Count);
            record.Parameters.AddWithValue(perChannel.Count);
            record.Parameters.AddWithValue(now);
            if (await record.ExecuteNonQueryAsync(ct) == 0) return 0; // summarised already (the tenant lock makes this rare)
        }
        foreach (var (channel, listed) in perChannel)
        {
            var payload = Payload(window, occurrence, listed);
            await EnqueueAsync(connection, transaction, tenantId, channel, DeliveryId(window.Id, occurrence.Start, channel), payload, now, ct);
        }
        return perChannel.Count;
    }

    /// <summary>"2 alerts fired and resolved during maintenance", or "3 alerts fired during maintenance: 2 resolved, 1 still open".</summary>
    public static string Sentence(int fired, int resolved)
    {
        var alerts = fired == 1 ? "1 alert" : $"{fired.ToString(CultureInfo.InvariantCulture)} alerts";
        if (resolved == fired) return $"{alerts} fired and resolved during maintenance";
        return $"{alerts} fired during maintenance: {resolved.ToString(CultureInfo.InvariantCulture)} resolved, {(fired - resolved).ToString(CultureInfo.InvariantCulture)} still open";
    }

    /// <summary>
    /// The summary as every channel renders it: shaped like an alert (<c>ruleName</c> names the window, <c>group</c> is
    /// the sentence and the list, <c>state</c> is <c>summary</c>), so each channel's message reads sensibly, with the
    /// whole of it under <c>maintenance</c> for webhooks.
    /// </summary>
    internal static JsonElement Payload(MaintenanceWindow window, MaintenanceOccurrence occurrence, IReadOnlyList<AlertView> alerts)
    {
        var sentence = Sentence(alerts.Count, alerts.Count(a => a.State == "resolved"));
        var listed = alerts.Take(MaxListed).ToList();
        var lines = listed.Select(a => $"{a.RuleName}{(a.Group.Length > 0 ? $" [{a.Group}]" : "")} ({a.State})").ToList();
        if (alerts.Count > listed.Count) lines.Add($"and {(alerts.Count - listed.Count).ToString(CultureInfo.InvariantCulture)} more");
        return JsonSerializer.SerializeToElement(new
        {
            ruleName = $"Maintenance window \"{window.Name}\"",
            state = "summary",
            severity = "info",
            startedAt = occurrence.Start,
            group = $"{sentence}: {string.Join("; ", lines)}",
            maintenance = new
            {
                windowId = window.Id,
                name = window.Name,
                occurrenceStart = occurrence.Start,
                occurrenceEnd = occurrence.End,
                summary = sentence,
                alertCount = alerts.Count,
                alerts = listed.Select(a => new { id = a.Id, ruleId = a.RuleId, ruleName = a.RuleName, severity = a.Severity, group = a.Group, state = a.State, firingAt = a.FiringAt, resolvedAt = a.ResolvedAt }),
            },
        }, Json.Options);
    }

    /// <summary>The same for the same window, occurrence and channel: a second enqueue of one summary inserts nothing.</summary>
    internal static Guid DeliveryId(Guid windowId, DateTimeOffset occurrenceStart, Guid channelId) =>
        new(System.Security.Cryptography.MD5.HashData(System.Text.Encoding.UTF8.GetBytes(
            $"maintenance-summary:{windowId}:{occurrenceStart.UtcTicks.ToString(CultureInfo.InvariantCulture)}:{channelId}")));

    private static async Task EnqueueAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, Guid channelId, Guid id, JsonElement payload,
        DateTimeOffset now, CancellationToken ct)
    {
        // As the outbox's own enqueue: enabled channels only, dead at once past the tenant's pending limit.
        await using var insert = new NpgsqlCommand("""
            WITH waiting AS (
                SELECT count(*) >= $6 AS at_limit FROM (SELECT 1 FROM notification_outbox w WHERE w.tenant_id = $1 AND w.status = 'pending' LIMIT $6) w)
            INSERT INTO notification_outbox (tenant_id, id, channel_id, alert_id, event_type, payload, status, next_attempt_at, created_at, last_error)
            SELECT $1, $3, c.id, NULL, $8, $4::jsonb, CASE WHEN waiting.at_limit THEN 'dead' ELSE 'pending' END, $5, $5, CASE WHEN waiting.at_limit THEN $7 END
            FROM channels c CROSS JOIN waiting WHERE c.tenant_id = $1 AND c.id = $2 AND c.disabled_at IS NULL
            ON CONFLICT (tenant_id, id) DO NOTHING
            """, connection, transaction);
        insert.Parameters.AddWithValue(tenantId);
        insert.Parameters.AddWithValue(channelId);
        insert.Parameters.AddWithValue(id);
        insert.Parameters.AddWithValue(payload.GetRawText());
        insert.Parameters.AddWithValue(now);
        insert.Parameters.AddWithValue(NotificationOutbox.MaxPendingPerTenant);
        insert.Parameters.AddWithValue(NotificationOutbox.PendingLimitError);
        insert.Parameters.AddWithValue(EventType);
        await insert.ExecuteNonQueryAsync(ct);
    }
}
