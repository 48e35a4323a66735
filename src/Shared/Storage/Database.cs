using Npgsql;

namespace PulseStream.Storage;

/// <summary>
/// Runs units of work against Postgres. Tenant-scoped work runs in a transaction that sets
/// <c>app.tenant_id</c> with <c>SET LOCAL</c>, so row-level security applies per transaction on pooled connections.
/// </summary>
public sealed class Database(NpgsqlDataSource dataSource)
{
    public NpgsqlDataSource DataSource { get; } = dataSource;

    public async Task<T> InTransactionAsync<T>(Func<NpgsqlConnection, NpgsqlTransaction, Task<T>> work, CancellationToken ct)
    {
        await using var connection = await DataSource.OpenConnectionAsync(ct);
        try
        {
            await using var transaction = await connection.BeginTransactionAsync(ct);
            var result = await work(connection, transaction);
            await transaction.CommitAsync(ct);
            return result;
        }
        catch (Exception) when (connection.FullState.HasFlag(System.Data.ConnectionState.Broken))
        {
            // The server ended this connection (a restart, a terminated backend): its idle siblings in the pool are
            // most likely dead too, and each would fail the next attempt in turn. Drop them, so a retry connects anew.
            DataSource.Clear();
            throw;
        }
    }

    public Task InTransactionAsync(Func<NpgsqlConnection, NpgsqlTransaction, Task> work, CancellationToken ct) =>
        InTransactionAsync<bool>(async (c, t) => { await work(c, t); return true; }, ct);

    public Task<T> ForTenantAsync<T>(Guid tenantId, Func<NpgsqlConnection, NpgsqlTransaction, Task<T>> work, CancellationToken ct) =>
        InTransactionAsync(async (connection, transaction) =>
        {
            await SetTenantAsync(connection, transaction, tenantId, ct);
            return await work(connection, transaction);
        }, ct);

    /// <summary>Sets the transaction's tenant (<c>SET LOCAL</c>: it ends with the transaction).</summary>
    public static async Task SetTenantAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, CancellationToken ct)
    {
        await using var set = new NpgsqlCommand("SELECT set_config('app.tenant_id', $1, true)", connection, transaction);
        set.Parameters.AddWithValue(tenantId.ToString());
        await set.ExecuteNonQueryAsync(ct);
    }

    public Task ForTenantAsync(Guid tenantId, Func<NpgsqlConnection, NpgsqlTransaction, Task> work, CancellationToken ct) =>
        ForTenantAsync<bool>(tenantId, async (c, t) => { await work(c, t); return true; }, ct);
}
