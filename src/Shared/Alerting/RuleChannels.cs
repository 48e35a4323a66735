using Npgsql;

namespace PulseStream.Alerting;

/// <summary>The channels rules notify, read from their stored definitions (a rule that is gone notifies none).</summary>
internal static class RuleChannels
{
    /// <summary>Each of <paramref name="ruleIds"/> that exists, with its channel ids.</summary>
    public static async Task<Dictionary<Guid, Guid[]>> ReadAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, Guid[] ruleIds,
        CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("""
            SELECT id, ARRAY(SELECT jsonb_array_elements_text(CASE WHEN jsonb_typeof(definition->'channelIds') = 'array' THEN definition->'channelIds' ELSE '[]' END)::uuid)
            FROM alert_rules WHERE tenant_id = $1 AND id = ANY($2)
            """, connection, transaction);
        command.Parameters.AddWithValue(tenantId);
        command.Parameters.AddWithValue(ruleIds);
        var channels = new Dictionary<Guid, Guid[]>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) channels[reader.GetGuid(0)] = reader.GetFieldValue<Guid[]>(1);
        return channels;
    }
}
