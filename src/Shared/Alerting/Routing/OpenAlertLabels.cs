using Npgsql;

namespace PulseStream.Alerting.Routing;

/// <summary>The labels of a tenant's open alerts (pending, firing, acknowledged), as matchers see them.</summary>
public static class OpenAlertLabels
{
    /// <summary>
    /// Each open alert's id, newest first, with its labels: the rule's current filters and groupBy (a deleted rule's
    /// alerts keep their stored name and severity, and match on those and their group alone).
    /// </summary>
    internal static Task<List<(Guid AlertId, AlertLabels Labels)>> ReadAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, CancellationToken ct) =>
        ReadAsync(connection, transaction, tenantId, null, ct);

    /// <summary>The labels of the alerts <paramref name="ids"/>, open or not (of all open alerts when null).</summary>
    internal static async Task<List<(Guid AlertId, AlertLabels Labels)>> ReadAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId,
        Guid[]? ids, CancellationToken ct)
    {
        // Two statements rather than one with an OR, so each uses its index (the key, or the open alerts').
        await using var command = new NpgsqlCommand($"""
            SELECT a.id, a.rule_id, a.rule_name, a.severity, a.group_key, r.definition::text
            FROM alerts a LEFT JOIN alert_rules r ON r.tenant_id = a.tenant_id AND r.id = a.rule_id
            WHERE a.tenant_id = $1 AND {(ids is null ? "a.state <> 'resolved'" : "a.id = ANY($2)")}
            ORDER BY a.started_at DESC, a.id DESC
            """, connection, transaction);
        command.Parameters.AddWithValue(tenantId);
        if (ids is not null) command.Parameters.AddWithValue(ids);
        var alerts = new List<(Guid, AlertLabels)>();
        var rules = new StoredRuleLabels();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            alerts.Add((reader.GetGuid(0), rules.Of(reader.GetGuid(1), reader.IsDBNull(5) ? null : reader.GetString(5), reader.GetString(2), reader.GetString(3), reader.GetString(4))));
        return alerts;
    }
}
