using Npgsql;

namespace PulseStream.Anomalies;

/// <summary>A rule's stored baselines, one per group (<c>anomaly_baselines</c>), written by <see cref="AnomalyBaselineRefresh"/>.</summary>
public static class AnomalyBaselineStore
{
    public static async Task<Dictionary<string, AnomalyBaseline>> ReadAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, Guid ruleId,
        CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("""
            SELECT group_key, metric, seasonality, history_from, computed_at, slots, level, spread, samples
            FROM anomaly_baselines WHERE tenant_id = $1 AND rule_id = $2
            """, connection, transaction);
        command.Parameters.AddWithValue(tenantId);
        command.Parameters.AddWithValue(ruleId);
        var baselines = new Dictionary<string, AnomalyBaseline>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            baselines[reader.GetString(0)] = new AnomalyBaseline(reader.GetString(1), reader.GetString(2), reader.GetFieldValue<DateTimeOffset>(3),
                reader.GetFieldValue<DateTimeOffset>(4), reader.GetFieldValue<double[]>(5), reader.GetDouble(6), reader.GetDouble(7), reader.GetInt32(8));
        return baselines;
    }

    /// <summary>Replaces the rule's baselines with <paramref name="baselines"/>: groups not among them lose theirs.</summary>
    public static async Task ReplaceAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, Guid ruleId,
        IReadOnlyDictionary<string, AnomalyBaseline> baselines, CancellationToken ct)
    {
        var keys = baselines.Keys.ToArray();
        await using (var delete = new NpgsqlCommand("DELETE FROM anomaly_baselines WHERE tenant_id = $1 AND rule_id = $2 AND NOT (group_key = ANY($3))", connection, transaction))
        {
            delete.Parameters.AddWithValue(tenantId);
            delete.Parameters.AddWithValue(ruleId);
            delete.Parameters.AddWithValue(keys);
            await delete.ExecuteNonQueryAsync(ct);
        }
        if (keys.Length == 0) return;
        var values = baselines.Values.ToArray();
        await using var upsert = new NpgsqlCommand("""
            INSERT INTO anomaly_baselines (tenant_id, rule_id, group_key, metric, seasonality, history_from, computed_at, slots, level, spread, samples)
            SELECT $1, $2, g.key, g.metric, g.seasonality, g.history_from, g.computed_at, string_to_array(g.slots, ',')::double precision[], g.level, g.spread, g.samples
            FROM unnest($3::text[], $4::text[], $5::text[], $6::timestamptz[], $7::timestamptz[], $8::text[], $9::double precision[], $10::double precision[], $11::int[])
                AS g(key, metric, seasonality, history_from, computed_at, slots, level, spread, samples)
            ON CONFLICT (tenant_id, rule_id, group_key) DO UPDATE SET metric = excluded.metric, seasonality = excluded.seasonality,
                history_from = excluded.history_from, computed_at = excluded.computed_at, slots = excluded.slots, level = excluded.level,
                spread = excluded.spread, samples = excluded.samples
            """, connection, transaction);
        upsert.Parameters.AddWithValue(tenantId);
        upsert.Parameters.AddWithValue(ruleId);
        upsert.Parameters.AddWithValue(keys);
        upsert.Parameters.AddWithValue(values.Select(b => b.Metric).ToArray());
        upsert.Parameters.AddWithValue(values.Select(b => b.Seasonality).ToArray());
        upsert.Parameters.AddWithValue(values.Select(b => b.HistoryFrom).ToArray());
        upsert.Parameters.AddWithValue(values.Select(b => b.ComputedAt).ToArray());
        // Arrays of arrays of different lengths do not fit one parameter: each group's slots travel as text.
        upsert.Parameters.AddWithValue(values.Select(b => string.Join(',', b.Slots.Select(s => s.ToString("R", System.Globalization.CultureInfo.InvariantCulture)))).ToArray());
        upsert.Parameters.AddWithValue(values.Select(b => b.Level).ToArray());
        upsert.Parameters.AddWithValue(values.Select(b => b.Spread).ToArray());
        upsert.Parameters.AddWithValue(values.Select(b => b.Samples).ToArray());
        await upsert.ExecuteNonQueryAsync(ct);
    }
}
