using Microsoft.Extensions.Options;
using Npgsql;

namespace PulseStream.Retention;

/// <summary>
/// A tenant's retention: its overrides (<c>tenant_retention</c>) over the app's defaults (<see cref="RetentionOptions"/>).
/// Read in the caller's tenant transaction, so queries can say what a long window covers.
/// </summary>
public sealed class TenantRetention(IOptions<RetentionOptions> options)
{
    public RetentionDays Defaults => options.Value.Defaults;

    /// <summary>The days kept per tier for the tenant (its transaction's tenant, under row-level security).</summary>
    public async Task<RetentionDays> GetAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, CancellationToken ct) =>
        RetentionDays.Effective(Defaults, await GetOverridesAsync(connection, transaction, tenantId, ct));

    /// <summary>What the tenant set itself; <see cref="RetentionOverrides.None"/> when it set nothing.</summary>
    public static async Task<RetentionOverrides> GetOverridesAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(
            "SELECT raw_days, minute_days, hour_days, day_days, audit_days FROM tenant_retention WHERE tenant_id = $1", connection, transaction);
        command.Parameters.AddWithValue(tenantId);
        await using var reader = await command.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct)) return RetentionOverrides.None;
        int? At(int i) => reader.IsDBNull(i) ? null : reader.GetInt32(i);
        return new(At(0), At(1), At(2), At(3), At(4));
    }

    /// <summary>Stores the tenant's overrides (a null tier follows the default again).</summary>
    public static async Task SetOverridesAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, RetentionOverrides overrides, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("""
            INSERT INTO tenant_retention (tenant_id, raw_days, minute_days, hour_days, day_days, audit_days, updated_at)
            VALUES ($1, $2, $3, $4, $5, $6, now())
            ON CONFLICT (tenant_id) DO UPDATE SET raw_days = $2, minute_days = $3, hour_days = $4, day_days = $5, audit_days = $6, updated_at = now()
            """, connection, transaction);
        command.Parameters.AddWithValue(tenantId);
        foreach (var tier in RetentionBounds.Tiers)
            command.Parameters.Add(new NpgsqlParameter { Value = (object?)overrides.For(tier) ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Integer });
        await command.ExecuteNonQueryAsync(ct);
    }
}
