using Npgsql;

namespace PulseStream.Storage;

/// <summary>
/// A per-tenant limit on rows a create may add (alert rules, escalation policies, maintenance windows, SLOs): a tenant's
/// creates of one table are serialised by a transaction-scoped advisory lock taken before counting, so two at once
/// cannot both see room for one more.
/// </summary>
public static class TenantCreateLimit
{
    /// <summary>Whether the tenant has fewer than <paramref name="max"/> rows in <paramref name="table"/> (a constant of the caller, never a request's text).</summary>
    public static async Task<bool> HasRoomAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string table, Guid tenantId, int max, CancellationToken ct)
    {
        await using (var serialise = new NpgsqlCommand("SELECT pg_advisory_xact_lock(hashtextextended($1 || ':' || $2::text, 0))", connection, transaction))
        {
            serialise.Parameters.AddWithValue(table);
            serialise.Parameters.AddWithValue(tenantId.ToString());
            await serialise.ExecuteNonQueryAsync(ct);
        }
        await using var count = new NpgsqlCommand($"SELECT count(*) FROM {table} WHERE tenant_id = $1", connection, transaction);
        count.Parameters.AddWithValue(tenantId);
        return (long)(await count.ExecuteScalarAsync(ct))! < max;
    }
}
