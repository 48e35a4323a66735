using Npgsql;

namespace PulseStream.Alerting.Routing;

/// <summary>
/// Why an alert notifies nobody at a moment: the silence or maintenance window (<paramref name="Kind"/>
/// <c>silence</c> or <c>maintenance</c>) that matches it, and when that ends (the earliest end when several match).
/// </summary>
public sealed record Muting(string Kind, Guid Id, DateTimeOffset Until);

/// <summary>
/// Decides which alerts are muted now: matched by an active silence or by a maintenance window in one of its
/// occurrences. A muted alert is still evaluated, stored and shown (as silenced); it sends no notification and does
/// not escalate. The one place that answers it, so evaluation, acknowledgements, escalation and the release of held
/// notifications all agree.
/// </summary>
public static class AlertMuting
{
    /// <summary>
    /// The alerts of <paramref name="alerts"/> muted at <paramref name="now"/>, each with the muting that ends last:
    /// an alert stays muted until every muting that covers it has ended, so the latest end is when it may notify.
    /// Reads the tenant's active silences once, in the caller's transaction; an alert matched by none is absent.
    /// </summary>
    public static async Task<Dictionary<Guid, Muting>> FindAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId,
        IReadOnlyList<(Guid AlertId, AlertLabels Labels)> alerts, DateTimeOffset now, CancellationToken ct)
    {
        var muted = new Dictionary<Guid, Muting>();
        if (alerts.Count == 0) return muted;
        var silences = await SilenceStore.ActiveAsync(connection, transaction, tenantId, now, ct);
        foreach (var (alertId, labels) in alerts)
            foreach (var (silence, matchers) in silences)
                if (matchers.Matches(labels)) Keep(muted, alertId, new Muting("silence", silence.Id, silence.EndsAt));
        // The tenant's maintenance windows, read once as its silences are: a window mutes the alerts it matches during
        // the occurrence that covers now, until that occurrence ends (its next occurrence is decided when it starts).
        var windows = await Maintenance.MaintenanceWindowStore.CompiledAsync(connection, transaction, tenantId, ct);
        foreach (var (window, valid) in windows)
        {
            if (valid.Schedule.Covering(now) is not { } occurrence) continue;
            foreach (var (alertId, labels) in alerts)
                if (valid.Matchers.Matches(labels)) Keep(muted, alertId, new Muting("maintenance", window.Id, occurrence.End));
        }
        return muted;
    }

    private static void Keep(Dictionary<Guid, Muting> muted, Guid alertId, Muting muting)
    {
        if (!muted.TryGetValue(alertId, out var held) || muting.Until > held.Until) muted[alertId] = muting;
    }
}
