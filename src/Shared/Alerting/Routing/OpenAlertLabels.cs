using System.Text.Json;
using Npgsql;
using PulseStream.Http;

namespace PulseStream.Alerting.Routing;

/// <summary>The labels of a tenant's open alerts (pending, firing, acknowledged), as matchers see them.</summary>
public static class OpenAlertLabels
{
    /// <summary>
    /// Each open alert's id, newest first, with its labels: the rule's current filters and groupBy (a deleted rule's
    /// alerts keep their stored name and severity, and match on those and their group alone).
    /// </summary>
    internal static async Task<List<(Guid AlertId, AlertLabels Labels)>> ReadAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("""
            SELECT a.id, a.rule_name, a.severity, a.group_key, r.definition::text
            FROM alerts a LEFT JOIN alert_rules r ON r.tenant_id = a.tenant_id AND r.id = a.rule_id
            WHERE a.tenant_id = $1 AND a.state <> 'resolved'
            ORDER BY a.started_at DESC, a.id DESC
            """, connection, transaction);
        command.Parameters.AddWithValue(tenantId);
        var alerts = new List<(Guid, AlertLabels)>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var rule = reader.IsDBNull(4) ? null : JsonSerializer.Deserialize<AlertRuleBody>(reader.GetString(4), Json.Options);
            alerts.Add((reader.GetGuid(0), AlertLabels.Of(reader.GetString(1), reader.GetString(2), rule?.Condition?.Filters, rule?.Condition?.GroupBy, reader.GetString(3))));
        }
        return alerts;
    }
}
